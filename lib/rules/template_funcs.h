#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/promql/engine.h"
#include "lib/rules/template_value.h"

namespace vigil::rules::tmpl {

// What template functions may reach outside the template.
struct ExecEnv {
  // Runs a PromQL instant query at the alert's evaluation time (Prometheus's `query`).
  // Null: `query` fails.
  const std::function<absl::StatusOr<promql::Vector>(std::string_view)>* query = nullptr;
  std::string external_url;  // for externalURL and pathPrefix
};

// Whether `name` is a function of Go's text/template or Prometheus 2.42's template FuncMap
// (the parser rejects the others, as Go does).
bool IsTemplateFunction(std::string_view name);

// The type of parameter `index` of function `name` when it is typed (string, sample,
// vector); kInvalid when it takes any value.
Value::Kind ParamKind(std::string_view name, size_t index);

// Calls function `name` with evaluated arguments (the pipeline's value last). `and` and `or`
// short-circuit and are evaluated by the executor instead. A failed call is kInvalidArgument
// for Go's own checks (argument count and types: "wrong number of args for ..."), and
// kUnknown for the function's error, which Go reports as "error calling NAME: ...".
absl::StatusOr<Value> CallFunction(const ExecEnv& env, std::string_view name,
                                   std::vector<Value>& args);

}  // namespace vigil::rules::tmpl
