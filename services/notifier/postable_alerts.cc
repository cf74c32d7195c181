#include "services/notifier/postable_alerts.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "services/notifier/go_json.h"
#include "services/notifier/json_reader.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

// Go's net/url (Go 1.19) for GoParsesRequestUri: which part of a URL a string is
// unescaped as (its `encoding` modes that ParseRequestURI uses).
enum class UrlPart { kPath, kUserinfo, kHost, kZone };

// The value of a hex digit (absl::ascii_isxdigit).
unsigned char Unhex(char c) {
  return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
}

// Go's !shouldEscape(c, encodeHost): a byte a host may hold as it is (never a non-ASCII
// one: those must be escaped).
bool IsGoHostByte(unsigned char c) {
  return absl::ascii_isalnum(c) ||
         std::string_view("-_.~!$&'()*+,;=:[]<>\"").find(static_cast<char>(c)) !=
             std::string_view::npos;
}

// Whether Go's unescape(s, mode) succeeds: every '%' followed by two hex digits; in a
// host, no %-escape of an ASCII byte but %25 (first digit below 8), and no ASCII byte a
// host may not hold (Go's InvalidHostError); in an IPv6 zone, no %-escape of a byte a
// host may not hold (but %25 and %20), and the same ASCII bytes as in a host. Non-ASCII
// bytes pass as they are everywhere.
bool GoUnescapes(std::string_view s, UrlPart part) {
  const bool host = part == UrlPart::kHost || part == UrlPart::kZone;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != '%') {
      if (host && c < 0x80 && !IsGoHostByte(c)) return false;
      ++i;
      continue;
    }
    if (i + 2 >= s.size() || !absl::ascii_isxdigit(s[i + 1]) ||
        !absl::ascii_isxdigit(s[i + 2])) {
      return false;
    }
    const bool percent = s.substr(i, 3) == "%25";
    if (part == UrlPart::kHost && Unhex(s[i + 1]) < 8 && !percent) return false;
    if (part == UrlPart::kZone) {
      const auto v = static_cast<unsigned char>(Unhex(s[i + 1]) << 4 | Unhex(s[i + 2]));
      if (!percent && v != ' ' && !IsGoHostByte(v)) return false;
    }
    i += 3;
  }
  return true;
}

// Go's validOptionalPort: empty, or ':' and ASCII digits only.
bool GoValidOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  for (char c : port.substr(1)) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// Go's parseHost: "[IPv6 literal]" up to the last ']' (else "missing ']' in host"), then
// an optional port; its zone, from the first "%25" inside the brackets, unescaped as a
// zone, the rest as a host. Otherwise an optional port after the last ':', and the whole
// unescaped as a host. (Go checks no IP address: "[x]" is a host.)
bool GoParsesHost(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.rfind(']');
    if (close == std::string_view::npos) return false;
    if (!GoValidOptionalPort(host.substr(close + 1))) return false;
    const size_t zone = host.substr(0, close).find("%25");
    if (zone != std::string_view::npos) {
      return GoUnescapes(host.substr(0, zone), UrlPart::kHost) &&
             GoUnescapes(host.substr(zone, close - zone), UrlPart::kZone) &&
             GoUnescapes(host.substr(close), UrlPart::kHost);
    }
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    if (!GoValidOptionalPort(host.substr(colon))) return false;
  }
  return GoUnescapes(host, UrlPart::kHost);
}

// Go's parseAuthority: the host after the last '@'; before it the userinfo, of
// unreserved bytes, sub-delims, ':', '%' and '@' only ("net/url: invalid userinfo"; any
// non-ASCII byte is refused too, Go's rune being none of those), its escapes valid (Go
// unescapes user and password apart, split at the first ':', which is no hex digit: the
// same as unescaping the whole).
bool GoParsesAuthority(std::string_view authority) {
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return GoParsesHost(authority);
  if (!GoParsesHost(authority.substr(at + 1))) return false;
  const std::string_view userinfo = authority.substr(0, at);
  for (char c : userinfo) {
    if (!absl::ascii_isalnum(c) &&
        std::string_view("-._:~!$&'()*+,;=%@").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return GoUnescapes(userinfo, UrlPart::kUserinfo);
}

// The fields of one postable alert, and the first decoding error of each: reported at the
// end of the alert in a fixed order (labels, annotations, startsAt, endsAt, generatorURL),
// whatever order the keys came in. Also the invalid label names and the first invalid
// annotation name, which make the alert invalid, not the body.
struct PendingAlert {
  // Several keys naming one field (any case) merge their objects, a later name's value
  // winning, as Go decodes into the map it has (labels::Labels keeps the last); a null
  // empties them.
  std::vector<labels::Label> labels, annotations;
  bool labels_given = false;  // an object, not null or missing, since the last null
  TimestampMs starts = 0, ends = 0;
  std::string generator;
  std::optional<std::string> labels_error, annotations_error, starts_error, ends_error,
      generator_error, invalid_annotation_name;
  // The invalid label names, in the body's order; the first whose last value is not
  // empty makes the alert invalid (observed from Alertmanager 0.25: {"0x":"v","0x":""}
  // is no invalid name).
  std::vector<std::string> invalid_label_names;

  void Fail(std::optional<std::string>* slot, std::string what) {
    if (!slot->has_value()) *slot = std::move(what);
  }
};

// Builds alerts as the body is read (ReadJson's events).
// Where it is: in the top array (kTop), in an alert's object (kAlert), in its labels or
// annotations object (kMap), or inside a value it skips (an unknown field's, or a
// non-string label value's), counted by `skip_depth_`.
class PostableHandler final : public JsonEvents {
 public:
  explicit PostableHandler(TimestampMs now) : now_(now) {}

  // The alerts, or the body's refusal (see ParsePostableAlerts): "invalid JSON body" for
  // any syntax error, as a body is first checked to be JSON at all; then the first
  // decoding error; then the first alert go-openapi's validation refuses.
  absl::StatusOr<PostedAlerts> Result(bool parsed) {
    if (!parsed) return absl::InvalidArgumentError("invalid JSON body");
    if (!error_.empty()) return absl::InvalidArgumentError(error_);
    if (!unvalidated_.ok()) return unvalidated_;
    return PostedAlerts{std::move(alerts_), std::move(invalid_)};
  }

  bool Null() override { return Scalar(Value::kNull, nullptr); }
  bool Boolean(bool) override { return Scalar(Value::kOther, nullptr); }
  bool Number(std::string_view) override { return Scalar(Value::kOther, nullptr); }
  bool String(std::string& s) override { return Scalar(Value::kString, &s); }

  bool StartObject() override {
    if (failed()) return true;
    if (skip_depth_ > 0) return ++skip_depth_, true;
    switch (where_) {
      case Where::kStart:
        return Fail("body must be a JSON array of alerts");
      case Where::kTop:
        where_ = Where::kAlert;
        pending_ = PendingAlert();
        return true;
      case Where::kAlert:
        if (field_ == Field::kLabels || field_ == Field::kAnnotations) {
          where_ = Where::kMap;
          if (field_ == Field::kLabels) pending_.labels_given = true;
          return true;
        }
        return SkipNested();
      case Where::kMap:
        return SkipNested();
    }
    return true;
  }

  bool EndObject() override {
    if (failed()) return true;
    if (skip_depth_ > 0) return --skip_depth_, true;
    if (where_ == Where::kMap) {
      where_ = Where::kAlert;
      return true;
    }
    // The end of an alert.
    where_ = Where::kTop;
    FinishAlert();
    return true;
  }

  bool StartArray() override {
    if (failed()) return true;
    if (skip_depth_ > 0) return ++skip_depth_, true;
    switch (where_) {
      case Where::kStart:
        where_ = Where::kTop;
        return true;
      case Where::kTop:
        return Fail(StrCat("alert ", index_, ": alert must be an object"));
      case Where::kAlert:
      case Where::kMap:
        return SkipNested();
    }
    return true;
  }

  bool EndArray() override {
    if (failed()) return true;
    if (skip_depth_ > 0) return --skip_depth_, true;
    where_ = Where::kStart;  // the top array ended
    return true;
  }

  bool Key(std::string& k) override {
    if (failed() || skip_depth_ > 0) return true;
    if (where_ == Where::kMap) {
      key_ = std::move(k);
      return true;
    }
    // Keys name fields as Go matches them: `LABELS` is labels.
    field_ = GoFieldNameMatches(k, "labels")         ? Field::kLabels
             : GoFieldNameMatches(k, "annotations")  ? Field::kAnnotations
             : GoFieldNameMatches(k, "startsAt")     ? Field::kStartsAt
             : GoFieldNameMatches(k, "endsAt")       ? Field::kEndsAt
             : GoFieldNameMatches(k, "generatorURL") ? Field::kGenerator
                                                     : Field::kOther;
    return true;
  }

 private:
  enum class Where { kStart, kTop, kAlert, kMap };
  enum class Field { kLabels, kAnnotations, kStartsAt, kEndsAt, kGenerator, kOther };
  enum class Value { kNull, kString, kOther };

  // Records the body's error; the rest is only checked to be JSON.
  bool Fail(std::string what) {
    error_ = std::move(what);
    return true;
  }
  bool failed() const { return !error_.empty(); }

  bool Scalar(Value kind, std::string* s) {
    if (failed() || skip_depth_ > 0) return true;
    switch (where_) {
      case Where::kStart:
        if (kind == Value::kNull) return true;  // no alerts, as in Go
        return Fail("body must be a JSON array of alerts");
      case Where::kTop:
        return Fail(StrCat("alert ", index_, ": alert must be an object"));
      case Where::kMap:
        if (kind != Value::kString) {
          MapValueNotString();
          return true;
        }
        if (!labels::IsValidLabelName(key_)) {
          if (field_ == Field::kLabels) {
            // Checked at the end: a later value of the name may be empty (dropped).
            pending_.invalid_label_names.push_back(key_);
          } else if (!pending_.invalid_annotation_name.has_value()) {
            pending_.invalid_annotation_name = key_;
          }
        }
        MapOf(field_).push_back({std::move(key_), std::move(*s)});
        return true;
      case Where::kAlert:
        break;
    }
    if (kind == Value::kNull) {
      // As Go's encoding/json decodes null (observed from Alertmanager 0.25): it sets a
      // map to nil, undoing an earlier key's labels (then required: 422 code 602) or
      // annotations, their invalid names with them; a strfmt.URI's UnmarshalJSON makes it
      // "", undoing an earlier generatorURL; a strfmt.DateTime's leaves it as it was, so
      // a null startsAt or endsAt is as if absent and keeps an earlier key's time.
      switch (field_) {
        case Field::kLabels:
          pending_.labels.clear();
          pending_.labels_given = false;
          pending_.invalid_label_names.clear();
          break;
        case Field::kAnnotations:
          pending_.annotations.clear();
          pending_.invalid_annotation_name.reset();
          break;
        case Field::kGenerator:
          pending_.generator.clear();
          break;
        case Field::kStartsAt:
        case Field::kEndsAt:
        case Field::kOther:
          break;
      }
      return true;
    }
    if (kind != Value::kString) {
      NonStringField();
      return true;
    }
    switch (field_) {
      case Field::kStartsAt:
        ReadTime(*s, "startsAt", &pending_.starts, &pending_.starts_error);
        break;
      case Field::kEndsAt:
        ReadTime(*s, "endsAt", &pending_.ends, &pending_.ends_error);
        break;
      case Field::kGenerator:
        pending_.generator = std::move(*s);
        break;
      case Field::kLabels:
      case Field::kAnnotations:
        NonStringField();
        break;
      case Field::kOther:
        break;
    }
    return true;
  }

  // An object or array where a string (or null) was expected: noted, and skipped.
  bool SkipNested() {
    if (where_ == Where::kMap) {
      MapValueNotString();
    } else {
      NonStringField();
    }
    skip_depth_ = 1;
    return true;
  }

  std::vector<labels::Label>& MapOf(Field f) {
    return f == Field::kLabels ? pending_.labels : pending_.annotations;
  }

  // A value of the wrong type for the current field of the alert.
  void NonStringField() {
    switch (field_) {
      case Field::kLabels:
        return pending_.Fail(&pending_.labels_error, "labels must be an object");
      case Field::kAnnotations:
        return pending_.Fail(&pending_.annotations_error, "annotations must be an object");
      case Field::kStartsAt:
        return pending_.Fail(&pending_.starts_error, "startsAt must be a string");
      case Field::kEndsAt:
        return pending_.Fail(&pending_.ends_error, "endsAt must be a string");
      case Field::kGenerator:
        return pending_.Fail(&pending_.generator_error, "generatorURL must be a string");
      case Field::kOther:
        return;
    }
  }

  void MapValueNotString() {
    const bool is_labels = field_ == Field::kLabels;
    pending_.Fail(is_labels ? &pending_.labels_error : &pending_.annotations_error,
                  StrCat(is_labels ? "labels" : "annotations", ".", key_, " must be a string"));
  }

  static void ReadTime(const std::string& s, const char* field, TimestampMs* out,
                       std::optional<std::string>* error) {
    if (s.empty()) return;
    auto t = ParseRfc3339(s);
    if (!t.ok()) {
      if (!error->has_value()) *error = StrCat(field, ": ", t.status().message());
      return;
    }
    *out = *t;
  }

  // A decoding error refuses the body; so does go-openapi's validation of the first alert
  // it fails: a generatorURL not empty and no URI (checked first, as go-openapi checks
  // an alert's fields in the order of their names), or no labels; an invalid one
  // (Alertmanager's Validate, in its order) is noted and left out; a valid one is taken.
  void FinishAlert() {
    PendingAlert& p = pending_;
    const size_t index = index_++;
    for (const auto* error : {&p.labels_error, &p.annotations_error, &p.starts_error,
                              &p.ends_error, &p.generator_error}) {
      if (error->has_value()) {
        Fail(StrCat("alert ", index, ": ", **error));
        return;
      }
    }
    if (!p.generator.empty() && !GoParsesRequestUri(p.generator)) {
      if (unvalidated_.ok()) {
        unvalidated_ = absl::OutOfRangeError(StrCat(
            index, ".generatorURL in body must be of type uri: ", GoQuote(p.generator)));
      }
      return;
    }
    if (!p.labels_given) {
      if (unvalidated_.ok()) {
        unvalidated_ = absl::FailedPreconditionError(StrCat(index, ".labels in body is required"));
      }
      return;
    }
    Alert a;
    a.labels = labels::Labels(std::move(p.labels));
    std::optional<std::string> invalid_label_name;
    for (std::string& name : p.invalid_label_names) {
      if (a.labels.Has(name)) {
        invalid_label_name = std::move(name);
        break;
      }
    }
    a.starts_at_ms = p.starts != 0 ? p.starts : p.ends != 0 ? p.ends : now_;
    std::string invalid;
    if (p.ends != 0 && p.ends < a.starts_at_ms) {
      invalid = "start time must be before end time";
    } else if (invalid_label_name) {
      invalid = StrCat("invalid label set: invalid name ", GoQuote(*invalid_label_name));
    } else if (a.labels.empty()) {
      invalid = "at least one label pair required";
    } else if (p.invalid_annotation_name) {
      invalid = StrCat("invalid annotations: invalid name ", GoQuote(*p.invalid_annotation_name));
    }
    if (!invalid.empty()) {
      invalid_ += invalid_.empty() ? invalid : StrCat("; ", invalid);
      return;
    }
    a.annotations = Annotations(std::move(p.annotations));
    a.generator_url = std::move(p.generator);
    a.ends_at_ms = p.ends;
    a.updated_at_ms = now_;
    a.fingerprint = a.labels.Fingerprint();
    alerts_.push_back(std::move(a));
  }

  const TimestampMs now_;
  Where where_ = Where::kStart;
  Field field_ = Field::kOther;
  int skip_depth_ = 0;
  std::string key_;
  PendingAlert pending_;
  size_t index_ = 0;          // of the alert being read, in the array
  std::vector<Alert> alerts_;  // the valid ones
  std::string invalid_;        // Alertmanager's errors of the invalid ones, "; "-joined
  absl::Status unvalidated_;   // the first alert go-openapi's validation refuses
  std::string error_;          // the first decoding error
};

}  // namespace

absl::StatusOr<PostedAlerts> ParsePostableAlerts(std::string_view body, TimestampMs now) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::FailedPreconditionError("alerts in body is required");
  }
  PostableHandler handler(now);
  const bool parsed = ReadJson(body, &handler);
  return handler.Result(parsed);
}

// Go 1.19's url.ParseRequestURI, i.e. its parse(rawURL, viaRequest=true), fails when:
//  - a byte is a control (below 0x20, or 0x7f): "net/url: invalid control character";
//  - it is empty: "empty url" (go-openapi checks no empty value: the caller skips it);
//  - "*" alone is accepted;
//  - it starts with ':': "missing protocol scheme". A scheme is [A-Za-z][A-Za-z0-9+.-]*
//    before a ':'; anything else before the first ':' (or none) means no scheme;
//  - the query, from the first '?', is never checked; no #fragment is split off (it stays
//    in the path, or the host);
//  - what is left after the scheme does not start with '/': with a scheme it is opaque
//    and accepted unchecked ("mailto:a b"), without one "invalid URI for request"
//    ("foo/bar", "?q", "#f");
//  - with a scheme and "//", the authority up to the next '/' fails GoParsesAuthority
//    (without a scheme, "//x" is a path);
//  - the path has a '%' not followed by two hex digits: "invalid URL escape".
bool GoParsesRequestUri(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  if (s.empty()) return false;
  if (s == "*") return true;
  bool has_scheme = false;
  std::string_view rest = s;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (absl::ascii_isalpha(c)) continue;
    if (absl::ascii_isdigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return false;
      has_scheme = true;
      rest = s.substr(i + 1);
    }
    break;
  }
  rest = rest.substr(0, rest.find('?'));
  if (rest.empty() || rest[0] != '/') return has_scheme;
  if (has_scheme && rest.substr(0, 2) == "//") {
    std::string_view authority = rest.substr(2);
    const size_t slash = authority.find('/');
    rest = slash == std::string_view::npos ? std::string_view() : authority.substr(slash);
    if (!GoParsesAuthority(authority.substr(0, slash))) return false;
  }
  return GoUnescapes(rest, UrlPart::kPath);
}

std::pair<int, std::string> PostableAlertsRefusal(const absl::Status& refusal) {
  const std::string message(refusal.message());
  if (absl::IsOutOfRange(refusal)) return {422, OpenApiErrorJson(601, message)};
  if (absl::IsFailedPrecondition(refusal)) return {422, OpenApiErrorJson(602, message)};
  return {400, OpenApiErrorJson(400, StrCat("parsing alerts body from \"\" failed, because ",
                                            message))};
}

}  // namespace vigil::notifier
