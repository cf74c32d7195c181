#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"

namespace vigil::rules {

// One rule as written in a Prometheus rule file.
struct RuleSpec {
  std::string alert;   // set for alerting rules
  std::string record;  // set for recording rules
  std::string expr_text;
  std::shared_ptr<const promql::Expr> expr;
  absl::Duration for_duration = absl::ZeroDuration();
  absl::Duration keep_firing_for = absl::ZeroDuration();
  labels::Labels labels;                                   // may hold templates
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by name
  std::string name() const { return alert.empty() ? record : alert; }
};

struct GroupSpec {
  std::string name;
  std::string file;
  absl::Duration interval;  // zero: use the global evaluation_interval
  int64_t limit = 0;
  labels::Labels labels;
  std::vector<RuleSpec> rules;
};

// Loads a Prometheus rule file (`groups:`). Errors read as promtool's: "file: line:col:
// what" (file, then the position in it), and an expression error names the group and rule.
absl::StatusOr<std::vector<GroupSpec>> LoadRuleFile(const std::string& path);
absl::StatusOr<std::vector<GroupSpec>> ParseRuleFile(const std::string& path,
                                                      const std::string& text);

}  // namespace vigil::rules
