#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "lib/promql/ast.h"

namespace vigil::promql {

// Parses a PromQL expression. Errors read like Prometheus's: "1:5: parse error: ...",
// with the 1-based line and column of the offending character. Constructs outside the
// supported subset are rejected by name, never misread.
absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

}  // namespace vigil::promql
