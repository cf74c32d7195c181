#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/codec/samples.h"
#include "lib/promconfig/promconfig.h"
#include "lib/rules/group.h"
#include "lib/tsdb/head.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::evaluator {

struct EvaluatorOptions {
  // Prometheus --rules.alert.resend-delay.
  absl::Duration resend_delay = absl::Minutes(1);
  // Prefix of generatorURL links, e.g. "http://127.0.0.1:9402".
  std::string external_url;
  // History kept even when no rule reads that far back, for queries
  // (--storage.min-retention). The window is the larger of this and what the rules need.
  absl::Duration min_retention = absl::ZeroDuration();
};

// What one Tick produced, ready to publish.
struct TickOutput {
  v1::AlertBatch alerts;     // topic "alerts"
  v1::SampleBatch recorded;  // topic "samples.recorded"
};

// The evaluator's core: keeps recent samples in a Head, evaluates the rule groups of the
// rule files named by prometheus.yml on their intervals, and turns alert state changes and
// re-sends into AlertEvents. No I/O, no clock: `now` comes in.
class Evaluator {
 public:
  explicit Evaluator(EvaluatorOptions options) : options_(std::move(options)) {}

  // Loads every rule file of `cfg`. On error nothing changes and the error names
  // file:line:col. Groups are scheduled from `now`.
  absl::Status LoadRules(const promconfig::PrometheusConfig& cfg, TimestampMs now);

  // Appends decoded samples to the head. Returns how many were accepted.
  size_t OnSamples(const std::vector<codec::DecodedSeries>& series);

  // Evaluates every group due at `now` and drops samples older than the window.
  TickOutput Tick(TimestampMs now);

  std::optional<TimestampMs> NextDeadline() const;

  // Every pending/firing alert, and resolved ones still kept, as events.
  std::vector<v1::AlertEvent> ActiveAlerts(TimestampMs now) const;

  const std::vector<std::unique_ptr<rules::Group>>& groups() const { return groups_; }
  const tsdb::Head& head() const { return head_; }
  size_t rule_count() const;
  // How much history the head keeps: the longest window any loaded rule reads (range,
  // offset and the 5-minute lookback included) plus a margin, or min_retention if longer.
  int64_t retention_ms() const { return retention_ms_; }

 private:
  v1::AlertEvent ToEvent(const rules::Group& g, size_t rule, const rules::Alert& a,
                         TimestampMs now) const;

  EvaluatorOptions options_;
  labels::Labels external_labels_;
  tsdb::Head head_;
  std::vector<std::unique_ptr<rules::Group>> groups_;
  std::vector<TimestampMs> next_eval_;
  int64_t retention_ms_ = 0;
};

}  // namespace vigil::evaluator
