#include "services/notifier/postable_alerts.h"

#include <optional>
#include <string>
#include <utility>

#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "services/notifier/go_json.h"
#include "services/notifier/json_reader.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

// The fields of one postable alert, and the first decoding error of each: reported at the
// end of the alert in a fixed order (labels, annotations, startsAt, endsAt, generatorURL),
// whatever order the keys came in. Also the first invalid label (with a value: empty ones
// are dropped) and annotation name, which make the alert invalid, not the body.
struct PendingAlert {
  std::vector<labels::Label> labels, annotations;
  bool labels_given = false;  // an object, not null or missing
  TimestampMs starts = 0, ends = 0;
  std::string generator;
  std::optional<std::string> labels_error, annotations_error, starts_error, ends_error,
      generator_error, invalid_label_name, invalid_annotation_name;

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
  // decoding error; then the first alert without labels.
  absl::StatusOr<PostedAlerts> Result(bool parsed) {
    if (!parsed) return absl::InvalidArgumentError("invalid JSON body");
    if (!error_.empty()) return absl::InvalidArgumentError(error_);
    if (!required_.empty()) return absl::FailedPreconditionError(required_);
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
        if (!labels::IsValidLabelName(key_) && (field_ != Field::kLabels || !s->empty())) {
          auto* first = field_ == Field::kLabels ? &pending_.invalid_label_name
                                                 : &pending_.invalid_annotation_name;
          if (!first->has_value()) *first = key_;
        }
        MapOf(field_).push_back({std::move(key_), std::move(*s)});
        return true;
      case Where::kAlert:
        break;
    }
    if (kind == Value::kNull) return true;  // as if absent
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

  // A decoding error refuses the body; an alert without labels is noted as missing a
  // required value; an invalid one (Alertmanager's Validate, in its order) is noted and
  // left out; a valid one is taken.
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
    if (!p.labels_given) {
      if (required_.empty()) required_ = StrCat(index, ".labels in body is required");
      return;
    }
    Alert a;
    a.labels = labels::Labels(std::move(p.labels));
    a.starts_at_ms = p.starts != 0 ? p.starts : p.ends != 0 ? p.ends : now_;
    std::string invalid;
    if (p.ends != 0 && p.ends < a.starts_at_ms) {
      invalid = "start time must be before end time";
    } else if (p.invalid_label_name) {
      invalid = StrCat("invalid label set: invalid name ", GoQuote(*p.invalid_label_name));
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
  std::string required_;       // the first alert without labels
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

std::pair<int, std::string> PostableAlertsRefusal(const absl::Status& refusal) {
  const std::string message(refusal.message());
  if (absl::IsFailedPrecondition(refusal)) return {422, OpenApiErrorJson(602, message)};
  return {400, OpenApiErrorJson(400, StrCat("parsing alerts body from \"\" failed, because ",
                                            message))};
}

}  // namespace vigil::notifier
