#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/rules/alerting_rule.h"
#include "lib/rules/rule_file.h"

namespace vigil::rules {

// A recording rule's output sample.
struct RecordedSample {
  labels::Labels labels;
  TimestampMs t;
  double value;
};

// What one evaluation of a group produced.
struct GroupResult {
  // (rule index, alert fingerprint) of alerts to publish: state changes and re-sends.
  std::vector<std::pair<size_t, uint64_t>> alerts;
  std::vector<RecordedSample> recorded;
};

// A rule group evaluated on its interval (Prometheus rules.Group). Rules run in order; a
// rule's error is recorded on it and does not stop the others.
class Group {
 public:
  Group(GroupSpec spec, absl::Duration default_interval, labels::Labels external_labels);

  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return spec_.file; }
  absl::Duration interval() const { return interval_; }
  // The next aligned evaluation time strictly after `t` (offset by a hash of the group,
  // as Prometheus spreads groups over their interval).
  TimestampMs NextEvaluation(TimestampMs t) const;

  // Rules run in order and each recording rule's output is handed to `append` before the
  // next rule runs, so a later rule of the same group reads it in the same evaluation (as
  // Prometheus's group writes to storage rule by rule). The output is also returned.
  using AppendFunc = std::function<void(const RecordedSample&)>;
  GroupResult Eval(TimestampMs t, const QueryFunc& query, absl::Duration resend_delay,
                   const AppendFunc& append = nullptr);

  size_t size() const { return spec_.rules.size(); }
  const RuleSpec& rule(size_t i) const { return spec_.rules[i]; }
  // Null for recording rules.
  const AlertingRule* alerting(size_t i) const { return alerting_[i].get(); }
  const std::string& rule_error(size_t i) const { return errors_[i]; }
  TimestampMs last_evaluation() const { return last_evaluation_; }

 private:
  GroupSpec spec_;
  absl::Duration interval_;
  std::vector<std::unique_ptr<AlertingRule>> alerting_;
  std::vector<std::string> errors_;
  TimestampMs last_evaluation_ = 0;
};

}  // namespace vigil::rules
