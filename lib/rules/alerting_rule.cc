#include "lib/rules/alerting_rule.h"

#include "lib/base/format.h"
#include "lib/promql/parser.h"
#include "lib/rules/template.h"

namespace vigil::rules {

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "unknown";
}

AlertingRule::AlertingRule(RuleSpec spec, labels::Labels external_labels, std::string external_url)
    : spec_(std::move(spec)),
      external_labels_(std::move(external_labels)),
      external_url_(std::move(external_url)) {
  std::string name = StrCat("__alert_", spec_.alert);
  for (const labels::LabelView& l : spec_.labels) label_templates_.emplace_back(name, l.value);
  for (const auto& [k, v] : spec_.annotations) annotation_templates_.emplace_back(name, v);
}

void AlertingRule::Restore(Alert alert) {
  uint64_t h = alert.labels.Fingerprint();
  active_[h] = std::move(alert);
}

absl::StatusOr<std::vector<uint64_t>> AlertingRule::Eval(TimestampMs t, const QueryFunc& query,
                                                         const EvalOptions& options) {
  last_evaluation_ = t;
  absl::StatusOr<promql::Vector> res = query(*spec_.expr, t);
  if (!res.ok()) {
    last_error_ = std::string(res.status().message());
    return res.status();
  }
  last_error_.clear();
  int64_t hold = absl::ToInt64Milliseconds(spec_.for_duration);
  int64_t keep_for = absl::ToInt64Milliseconds(spec_.keep_firing_for);

  // Templates' `query` runs at the evaluation time through the rule's query function.
  TemplateQueryFunc template_query = [&](std::string_view q) -> absl::StatusOr<promql::Vector> {
    absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(q);
    if (!e.ok()) return e.status();
    return query(**e, t);
  };
  absl::flat_hash_map<uint64_t, Alert> current;
  for (const promql::Sample& s : *res) {
    TemplateData data{&s.metric, s.value, &external_labels_, external_url_, &template_query};
    std::vector<labels::Label> ls;
    for (const labels::LabelView& l : s.metric) {
      if (l.name != labels::kMetricName) ls.push_back(l.Owned());
    }
    size_t i = 0;
    for (const labels::LabelView& l : spec_.labels) {
      ls.push_back(labels::Label{std::string(l.name), label_templates_[i++].Expand(data)});
    }
    ls.push_back(labels::Label{std::string(labels::kAlertName), spec_.alert});
    Alert a;
    a.labels = labels::Labels(std::move(ls));
    for (size_t j = 0; j < spec_.annotations.size(); ++j) {
      a.annotations.emplace_back(spec_.annotations[j].first, annotation_templates_[j].Expand(data));
    }
    a.state = AlertState::kPending;
    a.active_at = t;
    a.value = s.value;
    uint64_t h = a.labels.Fingerprint();
    if (current.contains(h)) {
      last_error_ = "vector contains metrics with the same labelset after applying alert labels";
      return absl::InvalidArgumentError(last_error_);
    }
    current.emplace(h, std::move(a));
  }

  std::vector<uint64_t> changed;
  for (auto& [h, a] : current) {
    auto it = active_.find(h);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = a.annotations;
      continue;
    }
    active_[h] = std::move(a);
    changed.push_back(h);
  }

  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    uint64_t h = it->first;
    if (!current.contains(h)) {
      if (options.hold_absent) {
        ++it;
        continue;
      }
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && keep_for > 0) {
        if (a.keep_firing_since == kUnsetMs) a.keep_firing_since = t;
        if (t - a.keep_firing_since < keep_for) keep_firing = true;
      }
      // Pending alerts that vanish, and resolved ones past retention, are dropped.
      if (a.state == AlertState::kPending ||
          (a.resolved_at != kUnsetMs && t - a.resolved_at > kResolvedRetentionMs)) {
        active_.erase(it++);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at = t;
        changed.push_back(h);
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = kUnsetMs;
    }
    if (a.state == AlertState::kPending && t - a.active_at >= hold) {
      a.state = AlertState::kFiring;
      a.fired_at = t;
      changed.push_back(h);
    }
    ++it;
  }
  // Prometheus 2.42 counts every alert the rule holds, resolved ones included.
  if (options.limit > 0 && active_.size() > static_cast<size_t>(options.limit)) {
    size_t n = active_.size();
    active_.clear();
    last_error_ = StrCat("exceeded limit of ", options.limit, " with ", n, " alerts");
    return absl::FailedPreconditionError(last_error_);
  }
  return changed;
}

std::vector<uint64_t> AlertingRule::TakeAlertsToSend(TimestampMs t, absl::Duration resend_delay,
                                                     absl::Duration interval) {
  std::vector<uint64_t> out;
  int64_t resend = absl::ToInt64Milliseconds(resend_delay);
  int64_t delta = std::max(resend, absl::ToInt64Milliseconds(interval));
  for (auto& [h, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    bool resolved_since_sent = a.resolved_at > a.last_sent_at;
    bool resend_due = a.last_sent_at == kUnsetMs || a.last_sent_at + resend < t;
    if (!resolved_since_sent && !resend_due) continue;
    a.last_sent_at = t;
    a.valid_until = t + 4 * delta;
    out.push_back(h);
  }
  return out;
}

}  // namespace vigil::rules
