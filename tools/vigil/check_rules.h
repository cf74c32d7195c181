#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace vigil::cli {

struct CheckRulesOptions {
  std::vector<std::string> files;
};

// Registers `rules` under `vigil check`.
CLI::App* AddCheckRulesCommand(CLI::App& check, CheckRulesOptions* options);

// `vigil check rules FILE...`, like `promtool check rules`: for each file prints
// "Checking FILE" to `out`, then "  SUCCESS: N rules found" (to `out`) or "  FAILED:" and
// the error (to `err`), then a blank line. Duplicate recording rules are reported as
// promtool's lint warning without failing. Returns 0 when every file is valid, else 1.
int CheckRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

int RunCheckRules(const CheckRulesOptions& options);

}  // namespace vigil::cli
