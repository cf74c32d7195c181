#include "lib/rules/group.h"

#include "absl/container/flat_hash_set.h"
#include "lib/base/format.h"
#include "lib/codec/samples.h"

namespace vigil::rules {

Group::Group(GroupSpec spec, absl::Duration default_interval, labels::Labels external_labels,
             std::string external_url)
    : spec_(std::move(spec)),
      interval_(spec_.interval > absl::ZeroDuration() ? spec_.interval : default_interval) {
  for (RuleSpec& r : spec_.rules) {
    // Group labels apply to every rule; the rule's own win.
    for (const labels::LabelView& l : spec_.labels) {
      if (!r.labels.Has(l.name)) r.labels = r.labels.With(l.name, l.value);
    }
  }
  rule_durations_.resize(spec_.rules.size());
  for (const RuleSpec& r : spec_.rules) {
    alerting_.push_back(r.alert.empty() ? nullptr
                                        : std::make_unique<AlertingRule>(r, external_labels,
                                                                         external_url));
  }
  errors_.resize(spec_.rules.size());
  previous_.resize(spec_.rules.size());
}

TimestampMs Group::NextEvaluation(TimestampMs t) const {
  const int64_t interval = interval_ms();
  uint64_t h = labels::Labels({{"file", spec_.file}, {"group", spec_.name}}).Fingerprint();
  int64_t offset = static_cast<int64_t>(h % static_cast<uint64_t>(interval));
  TimestampMs next = t - (t % interval) + offset;
  while (next <= t) next += interval;
  return next;
}

std::string Group::RuleKey(const RuleSpec& r) {
  return StrCat(r.alert.empty() ? "record:" : "alert:", r.name(), r.labels.ToString());
}

absl::StatusOr<std::vector<RecordedSample>> Group::EvalRule(size_t i, TimestampMs t,
                                                            const QueryFunc& query,
                                                            const GroupEvalOptions& options,
                                                            GroupResult& out) {
  const RuleSpec& r = spec_.rules[i];
  std::vector<RecordedSample> written;
  if (AlertingRule* ar = alerting_[i].get()) {
    auto changed = ar->Eval(t, query, {spec_.limit, options.hold_absent_alerts});
    if (!changed.ok()) return changed.status();
    std::vector<uint64_t> fps = std::move(*changed);
    for (uint64_t fp : ar->TakeAlertsToSend(t, options.resend_delay, interval_)) {
      fps.push_back(fp);
    }
    absl::flat_hash_set<uint64_t> seen;
    for (uint64_t fp : fps) {
      if (seen.insert(fp).second && ar->active().contains(fp)) out.alerts.emplace_back(i, fp);
    }
    for (const auto& [fp, a] : ar->active()) {
      if (a.state == AlertState::kInactive) continue;
      written.push_back({a.labels.With(labels::kMetricName, "ALERTS")
                             .With("alertstate", AlertStateName(a.state)),
                         t, 1.0});
      written.push_back({a.labels.With(labels::kMetricName, "ALERTS_FOR_STATE"), t,
                         static_cast<double>(a.active_at / 1000)});
    }
    return written;
  }
  auto res = query(*r.expr, t);
  if (!res.ok()) return res.status();
  absl::flat_hash_set<uint64_t> seen;
  for (const promql::Sample& s : *res) {
    labels::Labels ls = s.metric.With(labels::kMetricName, r.record);
    for (const labels::LabelView& l : r.labels) ls = ls.With(l.name, l.value);
    if (!seen.insert(ls.Fingerprint()).second) {
      // Prometheus RecordingRule.Eval.
      return absl::InvalidArgumentError(
          "vector contains metrics with the same labelset after applying rule labels");
    }
    written.push_back({std::move(ls), t, s.value});
  }
  if (spec_.limit > 0 && written.size() > static_cast<size_t>(spec_.limit)) {
    return absl::FailedPreconditionError(
        StrCat("exceeded limit of ", spec_.limit, " with ", written.size(), " series"));
  }
  return written;
}

GroupResult Group::Eval(TimestampMs t, const QueryFunc& query, const GroupEvalOptions& options,
                        const AppendFunc& append) {
  GroupResult out;
  last_evaluation_ = t;
  const absl::Time group_start = options.clock ? options.clock() : absl::UnixEpoch();
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const absl::Time rule_start = options.clock ? options.clock() : absl::UnixEpoch();
    auto written = EvalRule(i, t, query, options, out);
    if (options.clock) rule_durations_[i] = options.clock() - rule_start;
    if (!written.ok()) {
      // Prometheus writes nothing for a failed rule, stale markers included.
      errors_[i] = std::string(written.status().message());
      out.errors.emplace_back(i, errors_[i]);
      continue;
    }
    errors_[i].clear();
    absl::flat_hash_set<uint64_t> now;
    std::vector<labels::Labels> series;
    for (RecordedSample& s : *written) {
      now.insert(s.labels.Fingerprint());
      series.push_back(s.labels);
      out.recorded.push_back(std::move(s));
      if (append) append(out.recorded.back());
    }
    for (const labels::Labels& ls : previous_[i]) {
      if (now.contains(ls.Fingerprint())) continue;
      out.recorded.push_back({ls, t, codec::StaleNaN()});
      if (append) append(out.recorded.back());
    }
    previous_[i] = std::move(series);
  }
  if (options.clock) last_duration_ = options.clock() - group_start;
  return out;
}

std::vector<labels::Labels> Group::WrittenSeries() const {
  std::vector<labels::Labels> out;
  for (const auto& rule : previous_) out.insert(out.end(), rule.begin(), rule.end());
  return out;
}

std::vector<labels::Labels> Group::CopyState(Group& old) {
  absl::flat_hash_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = old.size(); i-- > 0;) by_key[RuleKey(old.rule(i))].push_back(i);
  for (size_t i = 0; i < size(); ++i) {
    auto it = by_key.find(RuleKey(rule(i)));
    if (it == by_key.end() || it->second.empty()) continue;
    size_t j = it->second.back();
    it->second.pop_back();
    previous_[i] = std::move(old.previous_[j]);
    old.previous_[j].clear();
    errors_[i] = old.errors_[j];
    if (alerting_[i] && old.alerting_[j]) alerting_[i]->TakeAlertsFrom(*old.alerting_[j]);
  }
  last_evaluation_ = old.last_evaluation_;
  return old.WrittenSeries();  // what was carried over has been moved out
}

}  // namespace vigil::rules
