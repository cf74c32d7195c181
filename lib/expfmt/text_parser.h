#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/labels/labels.h"

namespace vigil::expfmt {

enum class MetricType { kUnknown, kCounter, kGauge, kHistogram, kSummary, kUntyped };

std::string_view MetricTypeName(MetricType t);

// What Next() found.
enum class Entry { kSeries, kHelp, kType, kComment, kEof };

// A pull parser for the Prometheus text exposition format 0.0.4 (cf. Prometheus
// `model/textparse/interface.go`): call Next() until kEof, then read the current entry
// through the accessors. Views returned point into the input, which must outlive the parser.
// Errors carry "line L, column C: what" and leave the parser finished.
class TextParser {
 public:
  explicit TextParser(std::string_view input) : input_(input) {}

  absl::StatusOr<Entry> Next();

  // kSeries: metric name, the labels as written (escapes resolved, without __name__),
  // the value and the optional timestamp (ms).
  std::string_view metric_name() const { return name_; }
  const std::vector<labels::Label>& series_labels() const { return labels_; }
  double value() const { return value_; }
  std::optional<int64_t> timestamp_ms() const { return timestamp_ms_; }
  // The full label set of the series, __name__ included.
  labels::Labels Labels() const;

  // kHelp / kType: the metric family named, and the help text or type.
  std::string_view family() const { return family_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }

 private:
  absl::Status Error(size_t pos, std::string_view what) const;
  absl::StatusOr<Entry> ParseComment(size_t line_end);
  absl::Status ParseSeries(size_t line_end);
  absl::Status ParseLabels(size_t& pos, size_t line_end);
  void SkipBlanks(size_t& pos, size_t line_end) const;

  std::string_view input_;
  size_t pos_ = 0;        // start of the next line
  size_t line_no_ = 0;    // of the current line, 1-based
  size_t line_start_ = 0;
  bool done_ = false;

  std::string_view name_;
  std::vector<labels::Label> labels_;
  double value_ = 0;
  std::optional<int64_t> timestamp_ms_;
  std::string_view family_;
  std::string help_;
  MetricType type_ = MetricType::kUnknown;
};

// Parses a floating-point value as Go's strconv.ParseFloat does for exposition values
// (decimal, exponent, NaN, [+-]Inf). Returns nullopt on anything else.
std::optional<double> ParseFloat(std::string_view s);

// A sample as the collector stores it: full labels, value, optional explicit timestamp.
struct ParsedSample {
  labels::Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// Parses a whole exposition into samples (HELP/TYPE/comments skipped).
absl::StatusOr<std::vector<ParsedSample>> ParseAll(std::string_view input);

}  // namespace vigil::expfmt
