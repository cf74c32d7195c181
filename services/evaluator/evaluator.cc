#include "services/evaluator/evaluator.h"

#include "lib/base/format.h"
#include "lib/promql/engine.h"

namespace vigil::evaluator {
namespace {

// Keep samples this much longer than the lookback, for late evaluations.
constexpr int64_t kRetentionMarginMs = 60 * 1000;

std::string UrlEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

v1::AlertState ToProto(rules::AlertState s) {
  switch (s) {
    case rules::AlertState::kInactive: return v1::ALERT_STATE_INACTIVE;
    case rules::AlertState::kPending: return v1::ALERT_STATE_PENDING;
    case rules::AlertState::kFiring: return v1::ALERT_STATE_FIRING;
  }
  return v1::ALERT_STATE_UNSPECIFIED;
}

TimestampMs OrZero(TimestampMs t) { return t == rules::kUnsetMs ? 0 : t; }

}  // namespace

absl::Status Evaluator::LoadRules(const promconfig::PrometheusConfig& cfg, TimestampMs now) {
  std::vector<std::unique_ptr<rules::Group>> groups;
  for (const std::string& file : cfg.resolved_rule_files) {
    auto specs = rules::LoadRuleFile(file);
    if (!specs.ok()) return specs.status();
    for (rules::GroupSpec& spec : *specs) {
      groups.push_back(std::make_unique<rules::Group>(std::move(spec),
                                                      cfg.global.evaluation_interval,
                                                      cfg.global.external_labels));
    }
  }
  int64_t longest = promql::kLookbackDeltaMs;
  for (const auto& g : groups) {
    for (size_t i = 0; i < g->size(); ++i) {
      longest = std::max(longest, promql::MaxLookbehindMs(*g->rule(i).expr));
    }
  }
  retention_ms_ =
      std::max(longest + kRetentionMarginMs, absl::ToInt64Milliseconds(options_.min_retention));
  groups_ = std::move(groups);
  external_labels_ = cfg.global.external_labels;
  next_eval_.clear();
  for (const auto& g : groups_) next_eval_.push_back(g->NextEvaluation(now));
  return absl::OkStatus();
}

size_t Evaluator::OnSamples(const std::vector<codec::DecodedSeries>& series) {
  size_t n = 0;
  for (const codec::DecodedSeries& s : series) {
    for (const codec::Point& p : s.points) n += head_.Append(s.labels, p.t, p.v) ? 1 : 0;
  }
  return n;
}

v1::AlertEvent Evaluator::ToEvent(const rules::Group& g, size_t rule, const rules::Alert& a,
                                  TimestampMs now) const {
  v1::AlertEvent e;
  e.set_fingerprint(a.labels.FingerprintHex());
  codec::ToProto(a.labels, e.mutable_labels());
  for (const auto& [k, v] : a.annotations) {
    v1::Label* l = e.add_annotations();
    l->set_name(k);
    l->set_value(v);
  }
  e.set_state(ToProto(a.state));
  e.set_active_at_ms(a.active_at);
  e.set_fired_at_ms(OrZero(a.fired_at));
  e.set_resolved_at_ms(OrZero(a.resolved_at));
  e.set_valid_until_ms(OrZero(a.valid_until));
  e.set_value(a.value);
  e.set_rule_group(g.name());
  e.set_rule_name(g.rule(rule).name());
  e.set_generator_url(StrCat(options_.external_url, "/graph?g0.expr=",
                             UrlEscape(g.rule(rule).expr_text), "&g0.tab=1"));
  e.set_event_time_ms(now);
  return e;
}

TickOutput Evaluator::Tick(TimestampMs now) {
  TickOutput out;
  rules::QueryFunc query = [this](const promql::Expr& expr, TimestampMs t) {
    return promql::EvalInstant(expr, t, head_);
  };
  codec::SampleBatchBuilder recorded;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (next_eval_[i] > now) continue;
    // Prometheus evaluates at the scheduled time, not when it got round to it.
    TimestampMs t = next_eval_[i];
    rules::Group& g = *groups_[i];
    rules::GroupResult r =
        g.Eval(t, query, rules::GroupEvalOptions{options_.resend_delay},
               [this](const rules::RecordedSample& s) { head_.Append(s.labels, s.t, s.value); });
    for (const auto& [rule, fp] : r.alerts) {
      *out.alerts.add_alerts() = ToEvent(g, rule, g.alerting(rule)->active().at(fp), t);
    }
    for (const rules::RecordedSample& s : r.recorded) recorded.Add(s.labels, s.t, s.value);
    next_eval_[i] = g.NextEvaluation(now);
  }
  out.recorded = recorded.Take();
  head_.Truncate(now - retention_ms_);
  return out;
}

std::optional<TimestampMs> Evaluator::NextDeadline() const {
  std::optional<TimestampMs> next;
  for (TimestampMs t : next_eval_) {
    if (!next || t < *next) next = t;
  }
  return next;
}

std::vector<v1::AlertEvent> Evaluator::ActiveAlerts(TimestampMs now) const {
  std::vector<v1::AlertEvent> out;
  for (const auto& g : groups_) {
    for (size_t i = 0; i < g->size(); ++i) {
      if (const rules::AlertingRule* r = g->alerting(i)) {
        for (const auto& [fp, a] : r->active()) out.push_back(ToEvent(*g, i, a, now));
      }
    }
  }
  return out;
}

size_t Evaluator::rule_count() const {
  size_t n = 0;
  for (const auto& g : groups_) n += g->size();
  return n;
}

}  // namespace vigil::evaluator
