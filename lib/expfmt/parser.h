#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"

namespace vigil::expfmt {

// Metric family types of both exposition formats. kUntyped is the text format's "untyped",
// kUnknown OpenMetrics's "unknown" (and "no TYPE line").
enum class MetricType {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kSummary,
  kUntyped,
  kGaugeHistogram,
  kStateset,
  kInfo,
};

std::string_view MetricTypeName(MetricType t);

// What Next() found.
enum class Entry { kSeries, kHelp, kType, kUnit, kComment, kEof };

// An OpenMetrics exemplar: `# {labels} value [timestamp]` after a sample.
struct Exemplar {
  std::vector<labels::Label> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// A pull parser for an exposition (Prometheus `model/textparse/interface.go`): call Next()
// until kEof, then read the current entry through the accessors. Views returned point into
// the input, which must outlive the parser. Errors read "line L, column C: what" and leave
// the parser finished (every later Next() returns kEof).
class Parser {
 public:
  virtual ~Parser() = default;

  virtual absl::StatusOr<Entry> Next() = 0;

  // kSeries: metric name, the labels as written (escapes resolved, without __name__), the
  // value and the optional timestamp (ms), and the exemplar if the line had one.
  std::string_view metric_name() const { return name_; }
  const std::vector<labels::Label>& series_labels() const {
    if (!labels_ready_) {
      FillLabels();
      labels_ready_ = true;
    }
    return labels_;
  }
  // The series as written on the line: the metric name and the label set, up to the blank
  // before the value. Two lines with equal series texts (in one format) name the same
  // series, so a scraper can cache what a text resolves to (Prometheus's scrape cache) and
  // never build the labels of a line it has seen before.
  std::string_view series_text() const { return series_text_; }

  // A caller that remembers the series texts of earlier parses in this format (a scrape
  // cache) can hand the parser a lookup, returning what it remembers of a text or nullopt.
  // A line whose series text the lookup knows was valid before, so the parser checks only
  // its value and timestamp; known_series() then holds what the lookup returned (nullopt
  // when the line was parsed in full), and series_labels() still works. The text parser
  // uses it; others parse every line in full.
  using SeriesLookup = std::function<std::optional<int64_t>(std::string_view series_text)>;
  void set_series_lookup(SeriesLookup lookup) { lookup_ = std::move(lookup); }
  std::optional<int64_t> known_series() const { return known_; }
  double value() const { return value_; }
  std::optional<int64_t> timestamp_ms() const { return timestamp_ms_; }
  const Exemplar* exemplar() const { return has_exemplar_ ? &exemplar_ : nullptr; }
  // The full label set of the series, __name__ included.
  labels::Labels Labels() const;

  // kHelp / kType / kUnit: the metric family named, and its help text, type or unit.
  std::string_view family() const { return family_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  std::string_view unit() const { return unit_; }

 protected:
  // Parsers that find the labels' spans in Next() and build them only on demand override
  // this and clear labels_ready_ on every series.
  virtual void FillLabels() const {}

  std::string_view name_;
  std::string_view series_text_;
  SeriesLookup lookup_;
  std::optional<int64_t> known_;
  mutable std::vector<labels::Label> labels_;
  mutable bool labels_ready_ = true;
  double value_ = 0;
  std::optional<int64_t> timestamp_ms_;
  bool has_exemplar_ = false;
  Exemplar exemplar_;
  std::string_view family_;
  std::string help_;
  MetricType type_ = MetricType::kUnknown;
  std::string_view unit_;
};

// The exposition formats vigil reads.
enum class Format { kText, kOpenMetrics };

// Prometheus's textparse.New: "application/openmetrics-text" (any parameters, any case)
// selects OpenMetrics; anything else, a malformed value or none selects the text format.
Format FormatFromContentType(std::string_view content_type);

// A parser for `input` in the format the Content-Type names.
std::unique_ptr<Parser> NewParser(std::string_view input, std::string_view content_type);

}  // namespace vigil::expfmt
