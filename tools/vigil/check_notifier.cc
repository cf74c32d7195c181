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
    auto config = notifier::ParseConfigFile(file);
    if (!config.ok()) {
      ++failed;
      out << "  FAILED: " << config.status().message() << "\n\n";
      continue;
    }
    // amtool's summary, then its verdict on the templates when there are any.
    out << "  SUCCESS\n"
        << "Found:\n"
        << " - global config\n"
        << " - route\n"
        << " - " << config->inhibit_rules.size() << " inhibit rules\n"
        << " - " << config->receivers.size() << " receivers\n"
        << " - " << config->templates.size() << " templates\n";
    if (!config->templates.empty()) {
      if (auto s = notifier::CheckTemplates(config->templates); !s.ok()) {
        ++failed;
        out << "  FAILED: " << s.message() << "\n";
      } else {
        out << "  SUCCESS\n";
      }
    }
    out << "\n";
  }
  if (failed > 0) err << "vigil: error: failed to validate " << failed << " file(s)\n";
  return failed > 0 ? 1 : 0;
}

int RunCheckNotifier(const CheckNotifierOptions& options) {
  return CheckNotifierConfigs(options.files, std::cout, std::cerr);
}

}  // namespace vigil::cli
