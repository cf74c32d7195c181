#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace vigil::cli {

struct TestRulesOptions {
  std::vector<std::string> files;
};

// Registers `vigil test rules`.
CLI::App* AddTestRulesCommand(CLI::App& test, TestRulesOptions* options);

// `vigil test rules FILE...`: runs promtool's rule unit-test files unchanged (Prometheus
// 2.42 cmd/promtool/unittest.go). Groups are evaluated in virtual time at every
// evaluation_interval from 0 over the input series; recording rules' output and the
// ALERTS/ALERTS_FOR_STATE series are written back, as Prometheus writes them; firing
// alerts are compared at each eval_time and promql_expr_test queries run at the end.
// Prints promtool's lines ("Unit Testing:  FILE", "  SUCCESS" to `out`, or "  FAILED:"
// and each error to `err`). Returns 0 when every test passes, 1 otherwise.
int TestRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

int RunTestRules(const TestRulesOptions& options);

}  // namespace vigil::cli
