#include "lib/rules/group.h"

#include "lib/base/format.h"

namespace vigil::rules {

Group::Group(GroupSpec spec, absl::Duration default_interval, labels::Labels external_labels)
    : spec_(std::move(spec)),
      interval_(spec_.interval > absl::ZeroDuration() ? spec_.interval : default_interval) {
  for (RuleSpec& r : spec_.rules) {
    // Group labels apply to every rule; the rule's own win.
    for (const labels::Label& l : spec_.labels) {
      if (!r.labels.Has(l.name)) r.labels = r.labels.With(l.name, l.value);
    }
  }
  for (const RuleSpec& r : spec_.rules) {
    alerting_.push_back(r.alert.empty() ? nullptr
                                        : std::make_unique<AlertingRule>(r, external_labels));
  }
  errors_.resize(spec_.rules.size());
}

TimestampMs Group::NextEvaluation(TimestampMs t) const {
  int64_t interval = std::max<int64_t>(1, absl::ToInt64Milliseconds(interval_));
  uint64_t h = labels::Labels({{"file", spec_.file}, {"group", spec_.name}}).Fingerprint();
  int64_t offset = static_cast<int64_t>(h % static_cast<uint64_t>(interval));
  TimestampMs next = t - (t % interval) + offset;
  while (next <= t) next += interval;
  return next;
}

GroupResult Group::Eval(TimestampMs t, const QueryFunc& query, absl::Duration resend_delay,
                        const AppendFunc& append) {
  GroupResult out;
  last_evaluation_ = t;
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const RuleSpec& r = spec_.rules[i];
    if (alerting_[i]) {
      auto changed = alerting_[i]->Eval(t, query);
      errors_[i] = changed.ok() ? "" : std::string(changed.status().message());
      std::vector<uint64_t> fps = changed.ok() ? *changed : std::vector<uint64_t>{};
      for (uint64_t fp : alerting_[i]->TakeAlertsToSend(t, resend_delay, interval_)) {
        fps.push_back(fp);
      }
      absl::flat_hash_map<uint64_t, bool> seen;
      for (uint64_t fp : fps) {
        if (seen.emplace(fp, true).second && alerting_[i]->active().contains(fp)) {
          out.alerts.emplace_back(i, fp);
        }
      }
      continue;
    }
    auto res = query(*r.expr, t);
    if (!res.ok()) {
      errors_[i] = std::string(res.status().message());
      continue;
    }
    errors_[i].clear();
    for (const promql::Sample& s : *res) {
      labels::Labels ls = s.metric.With(labels::kMetricName, r.record);
      for (const labels::Label& l : r.labels) ls = ls.With(l.name, l.value);
      out.recorded.push_back(RecordedSample{std::move(ls), t, s.value});
      if (append) append(out.recorded.back());
    }
  }
  return out;
}

}  // namespace vigil::rules
