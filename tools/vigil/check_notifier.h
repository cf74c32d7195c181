#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace vigil::cli {

struct CheckNotifierOptions {
  std::vector<std::string> files;
};

// Registers `notifier` under `vigil check`.
CLI::App* AddCheckNotifierCommand(CLI::App& check, CheckNotifierOptions* options);

// `vigil check notifier FILE...`, like `amtool check-config`: loads each file with the
// notifier's own config parser and prints amtool's lines to `out`:
//   Checking 'FILE'  SUCCESS            then a summary of what was found, or
//   Checking 'FILE'  FAILED: file:line:col: what
// and, when any failed, "vigil: error: failed to validate N file(s)" to `err`.
// Returns 0 when every file is valid, 1 otherwise.
int CheckNotifierConfigs(const std::vector<std::string>& files, std::ostream& out,
                         std::ostream& err);

int RunCheckNotifier(const CheckNotifierOptions& options);

}  // namespace vigil::cli
