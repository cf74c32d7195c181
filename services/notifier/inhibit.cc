#include "services/notifier/inhibit.h"

#include <algorithm>

namespace vigil::notifier {

Inhibitor::Inhibitor(const std::vector<InhibitRule>& rules,
                     const AlertsByFingerprint& alerts, TimestampMs now)
    : rules_(rules), sources_(rules.size()) {
  for (size_t i = 0; i < rules.size(); ++i) {
    for (const auto& [fp, a] : alerts) {
      if (!a.Resolved(now) && labels::MatchesAll(rules[i].source_matchers, a.labels)) {
        sources_[i].push_back(&a);
      }
    }
  }
}

std::vector<std::string> Inhibitor::InhibitedBy(const Alert& target) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const InhibitRule& rule = rules_[i];
    if (!labels::MatchesAll(rule.target_matchers, target.labels)) continue;
    const bool two_sided = labels::MatchesAll(rule.source_matchers, target.labels);
    for (const Alert* source : sources_[i]) {
      if (two_sided && labels::MatchesAll(rule.target_matchers, source->labels)) continue;
      const bool equal = std::all_of(rule.equal.begin(), rule.equal.end(), [&](const auto& n) {
        return source->labels.Get(n) == target.labels.Get(n);
      });
      if (equal) {
        out.push_back(source->FingerprintHex());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vigil::notifier
