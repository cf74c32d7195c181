#pragma once

#include <string_view>
#include <vector>

#include "lib/promql/ast.h"

namespace vigil::promql {

// A PromQL function's signature (Prometheus promql/parser/functions.go).
struct Function {
  std::string_view name;
  std::vector<ValueType> arg_types;
  int variadic = 0;  // 0: exact; >0: up to that many optional trailing args; -1: unbounded
  ValueType return_type;
};

// nullptr when `name` is not a function.
const Function* LookupFunction(std::string_view name);

}  // namespace vigil::promql
