#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/rules/alerting_rule.h"
#include "lib/rules/rule_file.h"

namespace vigil::rules {

// A sample a rule wrote: a recording rule's output, an alert's ALERTS / ALERTS_FOR_STATE
// series, or the staleness marker of a series a rule stopped returning.
struct RecordedSample {
  labels::Labels labels;
  TimestampMs t;
  double value;
};

// What one evaluation of a group produced.
struct GroupResult {
  // (rule index, alert fingerprint) of alerts to publish: state changes and re-sends.
  std::vector<std::pair<size_t, uint64_t>> alerts;
  // Everything written, in order (already handed to the append function).
  std::vector<RecordedSample> recorded;
  // (rule index, error) of the rules that failed, in rule order.
  std::vector<std::pair<size_t, std::string>> errors;
};

struct GroupEvalOptions {
  absl::Duration resend_delay = absl::Minutes(1);
  // While true, alerts restored after a restart are not resolved or dropped when their
  // expression does not return them (the window may not hold enough data yet).
  bool hold_absent_alerts = false;
  // A monotonic clock to time the evaluation and each rule with (Prometheus's
  // evaluationTime in /api/v1/rules); none: durations stay zero. Tests leave it out.
  std::function<absl::Time()> clock;
};

// A rule group (Prometheus rules.Group): its rules run in order; each rule's output is
// handed to `append` before the next rule runs, so a later rule of the same group reads it
// in the same evaluation, as Prometheus's group writes to storage rule by rule. A rule's
// error is recorded on it and does not stop the others. Written like Prometheus:
// recording rules' series, ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = ActiveAt (unix
// seconds) for every pending or firing alert, and a staleness marker for each series a
// rule wrote last time and not this time. The group `limit` applies as in Prometheus.
class Group {
 public:
  Group(GroupSpec spec, absl::Duration default_interval, labels::Labels external_labels,
        std::string external_url = "");

  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return spec_.file; }
  const GroupSpec& spec() const { return spec_; }
  absl::Duration interval() const { return interval_; }
  // The interval in milliseconds, at least 1: what schedules step by.
  int64_t interval_ms() const { return std::max<int64_t>(1, absl::ToInt64Milliseconds(interval_)); }
  // The next aligned evaluation time strictly after `t` (offset by a hash of the group,
  // as Prometheus spreads groups over their interval).
  TimestampMs NextEvaluation(TimestampMs t) const;

  using AppendFunc = std::function<void(const RecordedSample&)>;
  GroupResult Eval(TimestampMs t, const QueryFunc& query, const GroupEvalOptions& options,
                   const AppendFunc& append = nullptr);

  // Takes over the alerts and written series of the rules of `old` that this group has
  // too (same name and labels, matched in order), as Prometheus's Group.CopyState does on
  // a reload, so a reload neither restarts `for` nor forgets a firing alert. Returns the
  // series that old rules without a successor wrote, which are now stale.
  std::vector<labels::Labels> CopyState(Group& old);
  // Every series the rules wrote at the last evaluation (stale once the group is gone).
  std::vector<labels::Labels> WrittenSeries() const;

  size_t size() const { return spec_.rules.size(); }
  const RuleSpec& rule(size_t i) const { return spec_.rules[i]; }
  // Null for recording rules.
  const AlertingRule* alerting(size_t i) const { return alerting_[i].get(); }
  AlertingRule* mutable_alerting(size_t i) { return alerting_[i].get(); }
  const std::string& rule_error(size_t i) const { return errors_[i]; }
  TimestampMs last_evaluation() const { return last_evaluation_; }
  // How long the last evaluation took, in all and per rule (with GroupEvalOptions::clock).
  absl::Duration last_duration() const { return last_duration_; }
  absl::Duration rule_duration(size_t i) const { return rule_durations_[i]; }

  // A key naming a rule across reloads and restarts: its name and labels.
  static std::string RuleKey(const RuleSpec& r);

 private:
  // What rule `i` writes at `t`, or its error.
  absl::StatusOr<std::vector<RecordedSample>> EvalRule(size_t i, TimestampMs t,
                                                       const QueryFunc& query,
                                                       const GroupEvalOptions& options,
                                                       GroupResult& out);

  GroupSpec spec_;
  absl::Duration interval_;
  std::vector<std::unique_ptr<AlertingRule>> alerting_;
  std::vector<std::string> errors_;
  // Per rule, the series it wrote at the previous evaluation, in the order written (for
  // staleness markers, written in that order too).
  std::vector<std::vector<labels::Labels>> previous_;
  TimestampMs last_evaluation_ = 0;
  absl::Duration last_duration_;
  std::vector<absl::Duration> rule_durations_;
};

}  // namespace vigil::rules
