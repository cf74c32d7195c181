#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/expfmt/parser.h"

namespace vigil::expfmt {

struct OpenMetricsOptions {
  // Beyond the grammar (always enforced), also check the OpenMetrics 1.0 rules about metric
  // families that Prometheus's scraper does not check: one HELP/TYPE/UNIT per family and
  // before its samples, no clashing family names, suffixes allowed by the type, histogram
  // buckets ordered and consistent with _count/_sum, counter-like values neither NaN nor
  // negative, stateset/info values, quantile and le labels, samples of one group together,
  // timestamps not going backwards, exemplars only on counters and buckets. The
  // conformance test turns this on; the collector leaves it off to store what Prometheus
  // stores.
  bool check_families = false;
};

// The OpenMetrics 1.0 text format (Prometheus `model/textparse/openmetricsparse.go`):
// HELP/TYPE/UNIT metadata, `# EOF` required with nothing after it, no blank lines or other
// comments, single spaces as separators, float-second timestamps (returned as ms, truncated
// toward zero as Prometheus does), exemplars (parsed and offered through exemplar()).
class OpenMetricsParser final : public Parser {
 public:
  explicit OpenMetricsParser(std::string_view input, OpenMetricsOptions options = {});
  ~OpenMetricsParser() override;

  absl::StatusOr<Entry> Next() override;

 private:
  class FamilyChecker;

  absl::Status Error(size_t pos, std::string_view what) const;
  absl::StatusOr<Entry> ParseMetadata(size_t line_end);
  absl::Status ParseSeries(size_t line_end);
  absl::Status ParseLabelSet(size_t& pos, size_t line_end, std::vector<labels::Label>* out,
                             bool exemplar);
  absl::Status ParseTimestamp(size_t& pos, size_t line_end, std::optional<int64_t>* ms,
                              double* seconds);

  std::string_view input_;
  OpenMetricsOptions options_;
  std::unique_ptr<FamilyChecker> checker_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  size_t line_start_ = 0;
  bool done_ = false;
};

}  // namespace vigil::expfmt
