#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "lib/rules/template_funcs.h"
#include "lib/rules/template_parse.h"
#include "lib/rules/template_value.h"

namespace vigil::rules::tmpl {

// Executes a parsed template with `dot` as its data, following Go's text/template
// (exec.go): truthiness, dot rebinding in with/range, variable scopes, else branches,
// break/continue, missingkey=zero. Errors read as Go's:
// "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: MESSAGE".
absl::StatusOr<std::string> Execute(const Template& t, const Value& dot, const ExecEnv& env);

}  // namespace vigil::rules::tmpl
