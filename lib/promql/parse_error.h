#pragma once

// Parse error text as Prometheus words it: token descriptions, Go's regexp errors, and
// the "line:col: parse error: ..." status.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lib/promql/lexer.h"

namespace vigil::promql::internal {

// Prometheus's Item.desc() for "unexpected ..." messages.
std::string Describe(const Token& t);

// Go's regexp error text ("error parsing regexp: missing closing ): `^(?:()$`") for the
// anchored form Prometheus compiles; empty when the regex compiles.
std::string GoRegexpError(const std::string& value);

// An InvalidArgument "line:col: parse error: msg" for byte offset `pos` of `input`.
absl::Status PosError(std::string_view input, int pos, std::string_view msg);

}  // namespace vigil::promql::internal
