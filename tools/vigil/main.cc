// vigil: the command-line tool. One subcommand per file (up.cc, status.cc, ...).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "lib/service/flags.h"
#include "tools/vigil/check_notifier.h"
#include "tools/vigil/check_rules.h"
#include "tools/vigil/query.h"
#include "tools/vigil/status.h"
#include "tools/vigil/tap.h"
#include "tools/vigil/test_rules.h"
#include "tools/vigil/up.h"

namespace {

// The directory of the running binary: where `vigil up` finds the other vigil binaries.
std::string SelfDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vigil: start and inspect a vigil mesh"};
  app.require_subcommand(1);

  vigil::cli::UpOptions up;
  up.default_bin_dir = SelfDir();
  CLI::App* up_cmd = vigil::cli::AddUpCommand(app, &up);
  vigil::cli::StatusOptions status;
  CLI::App* status_cmd = vigil::cli::AddStatusCommand(app, &status);
  vigil::cli::TapOptions tap;
  CLI::App* tap_cmd = vigil::cli::AddTapCommand(app, &tap);
  CLI::App* check_cmd = app.add_subcommand("check", "Validate configuration files");
  check_cmd->require_subcommand(1);
  vigil::cli::CheckNotifierOptions check_notifier;
  CLI::App* check_notifier_cmd = vigil::cli::AddCheckNotifierCommand(*check_cmd, &check_notifier);
  vigil::cli::CheckRulesOptions check_rules;
  CLI::App* check_rules_cmd = vigil::cli::AddCheckRulesCommand(*check_cmd, &check_rules);
  CLI::App* test_cmd = app.add_subcommand("test", "Unit-test rule files");
  test_cmd->require_subcommand(1);
  vigil::cli::TestRulesOptions test_rules;
  CLI::App* test_rules_cmd = vigil::cli::AddTestRulesCommand(*test_cmd, &test_rules);
  vigil::cli::QueryOptions query;
  CLI::App* query_cmd = vigil::cli::AddQueryCommand(app, &query);
  CLI::App* query_range_cmd = vigil::cli::AddQueryRangeCommand(app, &query);

  // --help: 0; bad flags or no subcommand: 2 (CLI11's own codes are not a contract).
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc == 0 ? 0 : 2;
  if (*up_cmd) return vigil::cli::RunUp(up);
  if (*status_cmd) return vigil::cli::RunStatus(status);
  if (*tap_cmd) return vigil::cli::RunTap(tap);
  if (*check_notifier_cmd) return vigil::cli::RunCheckNotifier(check_notifier);
  if (*check_rules_cmd) return vigil::cli::RunCheckRules(check_rules);
  if (*test_rules_cmd) return vigil::cli::RunTestRules(test_rules);
  if (*query_cmd) return vigil::cli::RunQuery(query);
  if (*query_range_cmd) return vigil::cli::RunQueryRange(query);
  return 2;
}
