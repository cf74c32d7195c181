#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/expfmt/parser.h"
#include "lib/labels/labels.h"

namespace vigil::expfmt {

// The Prometheus text exposition format 0.0.4 (Prometheus `model/textparse/promparse.go`).
class TextParser final : public Parser {
 public:
  explicit TextParser(std::string_view input) : input_(input) {}

  absl::StatusOr<Entry> Next() override;

 private:
  absl::Status Error(size_t pos, std::string_view what) const;
  absl::StatusOr<Entry> ParseComment(size_t line_end);
  absl::Status ParseSeries(size_t line_end);
  absl::Status ParseLabels(size_t& pos, size_t line_end) const;
  // The known-series fast path: true when the line was handled.
  bool ParseKnownSeries(size_t line_end);
  void SkipBlanks(size_t& pos, size_t line_end) const;
  void FillLabels() const override;

  // Where a label of the current series is on its line; its strings are built only when
  // asked for (series_labels()).
  struct LabelSpan {
    size_t name_begin;
    size_t name_size;
    size_t value_begin;
    size_t value_size;
    bool escaped;  // the value has backslash escapes to resolve
  };
  mutable std::vector<LabelSpan> spans_;
  mutable bool spans_pending_ = false;  // a known series: spans found on demand

  std::string_view input_;
  size_t pos_ = 0;      // start of the next line
  size_t line_no_ = 0;  // of the current line, 1-based
  size_t line_start_ = 0;
  bool done_ = false;
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
