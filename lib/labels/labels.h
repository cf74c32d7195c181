#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::labels {

inline constexpr std::string_view kMetricName = "__name__";
inline constexpr std::string_view kAlertName = "alertname";

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// An immutable-by-convention set of labels, sorted by name with unique names; the data
// model of a series or an alert (Prometheus `model/labels`). Empty values are dropped,
// as Prometheus treats `a=""` and no `a` alike.
class Labels {
 public:
  Labels() = default;
  // Sorts; on a duplicate name the last one wins. Drops empty values.
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels);

  const std::vector<Label>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;

  // Copies with one label set (empty value removes it) or removed.
  Labels With(std::string_view name, std::string_view value) const;
  Labels Without(std::string_view name) const;

  // Alertmanager's / Prometheus common/model fingerprint: FNV-1a 64 over sorted
  // name 0xff value 0xff. Equal to what Alertmanager puts in webhook payloads.
  uint64_t Fingerprint() const;
  // The fingerprint as 16 lowercase hex digits.
  std::string FingerprintHex() const;

  // Prometheus's Labels.String(): {a="1", b="2"} with values escaped as Go's %q.
  std::string ToString() const;
  // Exposition form: name{a="1",b="2"} (no braces when only __name__ is present).
  std::string ToExposition() const;

  bool operator==(const Labels&) const = default;
  auto operator<=>(const Labels&) const = default;

 private:
  std::vector<Label> items_;
};

// Prometheus's name rules: label names [a-zA-Z_][a-zA-Z0-9_]*, metric names
// [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

// Go's strconv.Quote / %q for the bytes label values and queries hold: escapes for
// quote, backslash and control characters (\n, \t, \x1b...), other bytes as they are.
std::string GoQuote(std::string_view s);

// Escapes a label value as in the text exposition format: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view value);

struct LabelsHash {
  size_t operator()(const Labels& l) const { return static_cast<size_t>(l.Fingerprint()); }
};

}  // namespace vigil::labels
