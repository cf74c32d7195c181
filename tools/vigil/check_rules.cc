#include "tools/vigil/check_rules.h"

#include <algorithm>
#include <iostream>
#include <map>

#include "lib/rules/rule_file.h"

namespace vigil::cli {

CLI::App* AddCheckRulesCommand(CLI::App& check, CheckRulesOptions* o) {
  CLI::App* cmd =
      check.add_subcommand("rules", "Validate Prometheus rule files, like promtool check rules");
  cmd->add_option("files", o->files, "Rule files")->required();
  return cmd;
}

namespace {

// promtool's checkDuplicates: recording rules with the same name and labels.
std::vector<std::string> DuplicateRecords(const std::vector<rules::GroupSpec>& groups) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const rules::GroupSpec& g : groups) {
    for (const rules::RuleSpec& r : g.rules) {
      if (r.record.empty()) continue;
      std::string key = r.record + "\n" + r.labels.ToString();
      if (++seen[key] == 2) {
        std::string ls;
        for (const labels::LabelView& l : r.labels) {
          ls.append(l.name).append("=").append(l.value).append("\n");
        }
        out.push_back("Metric: " + r.record + "\nLabel(s):\n" + ls);
      }
    }
  }
  return out;
}

}  // namespace

int CheckRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  bool failed = false;
  for (const std::string& file : files) {
    out << "Checking " << file << "\n";
    auto groups = rules::LoadRuleFile(file);
    if (!groups.ok()) {
      failed = true;
      err << "  FAILED:\n" << groups.status().message() << "\n";
      out << "\n";
      continue;
    }
    size_t n = 0;
    for (const rules::GroupSpec& g : *groups) n += g.rules.size();
    std::vector<std::string> dups = DuplicateRecords(*groups);
    if (!dups.empty()) {
      err << "  FAILED:\n"
          << "lint error " << dups.size() << " duplicate rule(s) found.\n";
      for (const std::string& d : dups) err << d;
      err << "Might cause inconsistency while recording expressions\n";
      out << "\n";  // promtool prints no SUCCESS line then, and still exits 0
      continue;
    }
    out << "  SUCCESS: " << n << " rules found\n\n";
  }
  return failed ? 1 : 0;
}

int RunCheckRules(const CheckRulesOptions& options) {
  return CheckRuleFiles(options.files, std::cout, std::cerr);
}

}  // namespace vigil::cli
