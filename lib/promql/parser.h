#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"

namespace vigil::promql {

// Parses a PromQL expression (Prometheus 2.42 grammar, including type checks). Errors
// read like Prometheus's: "1:5: parse error: ...", with the 1-based line and column.
absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

// Parses a series' labels as Prometheus's parser.ParseMetric: `name`, `name{a="b", ...}`
// or `{a="b", ...}` (only `=`; a trailing comma allowed). Errors as its: "1:8: parse error:
// unexpected \"}\" in label set, expected string". Two labels of one name are "label name
// \"a\" is not unique: invalid sample", as Prometheus's storage refuses such a series.
absl::StatusOr<labels::Labels> ParseMetric(std::string_view input);

// Parses a duration like Prometheus's model.ParseDuration ("1h30m", "5m", "0").
absl::StatusOr<int64_t> ParseDurationMs(std::string_view s);

// Parses a PromQL number literal (decimal, hex, octal-like ints, Inf, NaN).
bool ParseNumber(std::string_view s, double* out);

// Unquotes a Go string literal ("..", '..' or `..`).
absl::StatusOr<std::string> Unquote(std::string_view s);

// Go's strconv.Quote (%q).
std::string GoQuote(std::string_view s);

}  // namespace vigil::promql
