#include "services/notifier/postable_alerts.h"

#include <optional>
#include <string>
#include <utility>

#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "services/notifier/json_reader.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

// The fields of one postable alert, and the first error of each: reported at the end of
// the alert in a fixed order (labels, annotations, startsAt, endsAt, generatorURL),
// whatever order the keys came in.
struct PendingAlert {
  std::vector<labels::Label> labels, annotations;
  TimestampMs starts = 0, ends = 0;
  std::string generator;
  std::optional<std::string> labels_error, annotations_error, starts_error, ends_error,
      generator_error;

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

  // The alerts, or the first error: "invalid JSON body" for any syntax error, as a body
  // is first checked to be JSON at all.
  absl::StatusOr<std::vector<Alert>> Result(bool parsed) {
    if (!parsed) return absl::InvalidArgumentError("invalid JSON body");
    if (!error_.empty()) return absl::InvalidArgumentError(error_);
    return std::move(alerts_);
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
    return FinishAlert();
  }

  bool StartArray() override {
    if (failed()) return true;
    if (skip_depth_ > 0) return ++skip_depth_, true;
    switch (where_) {
      case Where::kStart:
        where_ = Where::kTop;
        return true;
      case Where::kTop:
        return Fail(StrCat("alert ", alerts_.size(), ": alert must be an object"));
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
      if (field_ == Field::kLabels && !labels::IsValidLabelName(key_)) {
        pending_.Fail(&pending_.labels_error, StrCat("invalid label name \"", key_, "\""));
      }
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
        return Fail("body must be a JSON array of alerts");
      case Where::kTop:
        return Fail(StrCat("alert ", alerts_.size(), ": alert must be an object"));
      case Where::kMap:
        if (kind != Value::kString) {
          MapValueNotString();
        } else {
          MapOf(field_).push_back({std::move(key_), std::move(*s)});
        }
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

  bool FinishAlert() {
    PendingAlert& p = pending_;
    const size_t index = alerts_.size();
    auto fail = [&](const std::string& what) { return Fail(StrCat("alert ", index, ": ", what)); };
    if (p.labels_error) return fail(*p.labels_error);
    Alert a;
    a.labels = labels::Labels(std::move(p.labels));
    if (a.labels.empty()) return fail("at least one label pair required");
    if (p.annotations_error) return fail(*p.annotations_error);
    if (p.starts_error) return fail(*p.starts_error);
    if (p.ends_error) return fail(*p.ends_error);
    a.starts_at_ms = p.starts == 0 ? now_ : p.starts;
    if (p.ends != 0 && p.ends < a.starts_at_ms) return fail("start time must be before end time");
    if (p.generator_error) return fail(*p.generator_error);
    a.annotations = Annotations(std::move(p.annotations));
    a.generator_url = std::move(p.generator);
    a.ends_at_ms = p.ends;
    a.updated_at_ms = now_;
    a.fingerprint = a.labels.Fingerprint();
    alerts_.push_back(std::move(a));
    return true;
  }

  const TimestampMs now_;
  Where where_ = Where::kStart;
  Field field_ = Field::kOther;
  int skip_depth_ = 0;
  std::string key_;
  PendingAlert pending_;
  std::vector<Alert> alerts_;
  std::string error_;
};

}  // namespace

absl::StatusOr<std::vector<Alert>> ParsePostableAlerts(std::string_view body, TimestampMs now) {
  PostableHandler handler(now);
  const bool parsed = ReadJson(body, &handler);
  return handler.Result(parsed);
}

}  // namespace vigil::notifier
