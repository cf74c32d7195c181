#pragma once

#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/labels/matcher.h"
#include "services/notifier/alert.h"

namespace vigil::notifier {

// Alertmanager's `inhibit_rules` entry: a firing alert matching the source matchers mutes
// the alerts matching the target matchers that have the same values (absent = empty) for
// the `equal` labels.
struct InhibitRule {
  std::vector<labels::Matcher> source_matchers;
  std::vector<labels::Matcher> target_matchers;
  std::vector<std::string> equal;
};

// Alertmanager's inhibit.Inhibitor over a snapshot of the alerts held: built once per
// decision round (a tick, an API listing), then asked about each alert. `rules` and
// `alerts` must outlive it.
class Inhibitor {
 public:
  Inhibitor(const std::vector<InhibitRule>& rules,
            const AlertsByFingerprint& alerts, TimestampMs now);

  // The fingerprints (hex) of the firing alerts inhibiting `target`, one per rule that
  // mutes it. An alert matching both sides of a rule does not inhibit itself or others
  // that also match both sides (Alertmanager's excludeTwoSidedMatch).
  std::vector<std::string> InhibitedBy(const Alert& target) const;

 private:
  const std::vector<InhibitRule>& rules_;
  std::vector<std::vector<const Alert*>> sources_;  // per rule: firing source alerts
};

}  // namespace vigil::notifier
