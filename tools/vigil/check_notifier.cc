#include "tools/vigil/check_notifier.h"

#include <iostream>

#include "services/notifier/config.h"

namespace vigil::cli {

CLI::App* AddCheckNotifierCommand(CLI::App& check, CheckNotifierOptions* o) {
  CLI::App* cmd = check.add_subcommand(
      "notifier", "Validate notifier (Alertmanager) configuration files, like amtool check-config");
  cmd->add_option("files", o->files, "Configuration files")->required();
  return cmd;
}

int CheckNotifierConfigs(const std::vector<std::string>& files, std::ostream& out,
                         std::ostream& err) {
  int failed = 0;
  for (const std::string& file : files) {
    out << "Checking '" << file << "'";
    auto config = notifier::LoadConfig(file);
    if (!config.ok()) {
      ++failed;
      out << "  FAILED: " << config.status().message() << "\n\n";
      continue;
    }
    // amtool's summary. vigil has no notification templates, so always 0 of them.
    out << "  SUCCESS\n"
        << "Found:\n"
        << " - global config\n"
        << " - route\n"
        << " - " << config->inhibit_rules.size() << " inhibit rules\n"
        << " - " << config->receivers.size() << " receivers\n"
        << " - 0 templates\n\n";
  }
  if (failed > 0) err << "vigil: error: failed to validate " << failed << " file(s)\n";
  return failed > 0 ? 1 : 0;
}

int RunCheckNotifier(const CheckNotifierOptions& options) {
  return CheckNotifierConfigs(options.files, std::cout, std::cerr);
}

}  // namespace vigil::cli
