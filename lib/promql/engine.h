#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "lib/tsdb/head.h"

namespace vigil::promql {

struct Sample {
  labels::Labels metric;
  double value;
};
using Vector = std::vector<Sample>;

// Prometheus's default lookback: an instant selector sees the newest sample in
// [t - 5m, t] (closed on both ends in Prometheus 2.42), unless it is a staleness marker.
inline constexpr int64_t kLookbackDeltaMs = 5 * 60 * 1000;

// Evaluates `expr` at `t` over `head`, like Prometheus's EngineQueryFunc for rules: a
// scalar result becomes a one-sample vector with no labels. Results are in no particular
// order.
absl::StatusOr<Vector> EvalInstant(const Expr& expr, TimestampMs t, const tsdb::Head& head);

}  // namespace vigil::promql
