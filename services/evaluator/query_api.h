#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"
#include "lib/promql/engine.h"
#include "lib/service/runtime.h"
#include "services/evaluator/evaluator.h"

namespace vigil::evaluator {

// The read operations behind both query APIs (gRPC vigil.v1.Evaluator and Prometheus's
// HTTP /api/v1), with Prometheus's checks and error texts (web/api/v1/api.go, 2.42).
// Expressions are parsed on the caller's thread; everything that reads the Head runs on
// the evaluator's loop thread through the runtime's task queue, which owns it.
//
// Errors are classified by status code, the way both APIs report them:
//   InvalidArgument    -> Prometheus "bad_data" (400): parse errors, bad parameters;
//   FailedPrecondition -> "execution" (422): the query failed on the data;
//   ResourceExhausted  -> "execution" (422): too many samples;
//   DeadlineExceeded   -> "timeout" (503): no answer within the query's timeout;
//   Unavailable        -> "unavailable" (503): the loop did not answer in time.
// A query that times out still runs to its end on the loop (the engine cannot be
// interrupted); only its answer is dropped.
class QueryApi {
 public:
  QueryApi(service::Runtime& rt, const Evaluator& core) : rt_(rt), core_(core) {}

  // Prometheus's --query.timeout default.
  static constexpr std::chrono::milliseconds kDefaultTimeout{2 * 60 * 1000};

  // Prometheus's instant query at `t`.
  absl::StatusOr<promql::Value> Instant(std::string_view query, TimestampMs t,
                                        std::chrono::milliseconds timeout = kDefaultTimeout) const;

  // Prometheus's range query, with its parameter checks (end before start, step <= 0,
  // more than 11,000 points per series).
  absl::StatusOr<promql::Matrix> Range(std::string_view query, TimestampMs start, TimestampMs end,
                                       int64_t step,
                                       std::chrono::milliseconds timeout = kDefaultTimeout) const;

  // The label sets of series matching any of `selectors` with a sample in [start, end],
  // sorted (Prometheus's /api/v1/series).
  absl::StatusOr<std::vector<labels::Labels>> Series(
      const std::vector<std::vector<labels::Matcher>>& selectors, TimestampMs start,
      TimestampMs end) const;

  // Sorted label names (Prometheus's /api/v1/labels), or sorted values of label `name`
  // (/api/v1/label/<name>/values), over series matching any of `selectors` (every series
  // when empty) with a sample in [start, end].
  absl::StatusOr<std::vector<std::string>> LabelNames(
      const std::vector<std::vector<labels::Matcher>>& selectors, TimestampMs start,
      TimestampMs end) const;
  absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<std::vector<labels::Matcher>>& selectors,
      TimestampMs start, TimestampMs end) const;

  TimestampMs Now() const { return rt_.clock().NowMs(); }

 private:
  service::Runtime& rt_;
  const Evaluator& core_;
};

// Parses a `match[]` selector like Prometheus's parser.ParseMetricSelector.
absl::StatusOr<std::vector<labels::Matcher>> ParseMetricSelector(std::string_view s);

}  // namespace vigil::evaluator
