#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "vigil/v1/control.pb.h"

namespace vigil::cli {

struct QueryOptions {
  std::string expr;
  std::string evaluator = "127.0.0.1:9502";  // the evaluator's gRPC address
  std::string time;                          // instant: unix seconds or RFC3339; "" = now
  std::string start, end, step;              // range; "" = promtool's defaults
  std::string timeout = "2m";
  std::string output = "promql";  // "promql" (promtool's text) or "json"
};

// `vigil query EXPR` and `vigil query-range EXPR`: promtool query instant / range against
// the evaluator's gRPC Query and QueryRange.
CLI::App* AddQueryCommand(CLI::App& app, QueryOptions* options);
CLI::App* AddQueryRangeCommand(CLI::App& app, QueryOptions* options);

// Exit codes as promtool: 0, or 1 with "query error: <type>: <message>" on stderr.
int RunQuery(const QueryOptions& options);
int RunQueryRange(const QueryOptions& options);

// promtool's --time/--start/--end: unix seconds (with fraction) or RFC3339.
absl::StatusOr<TimestampMs> ParseCliTime(const std::string& s);

// The output of `promtool query instant` / `range` for a result, one value per line as
// Prometheus's model package prints them ({a="x", b="y"} => 1.5 @[1700000000.5]), or the
// result as JSON (-o json). Text ends with a newline.
std::string FormatQueryText(const v1::QueryResponse& r);
std::string FormatQueryJson(const v1::QueryResponse& r);
std::string FormatRangeText(const v1::QueryRangeResponse& r);
std::string FormatRangeJson(const v1::QueryRangeResponse& r);

}  // namespace vigil::cli
