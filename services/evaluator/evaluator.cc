#include "services/evaluator/evaluator.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "lib/base/format.h"
#include "lib/promql/engine.h"
#include "lib/promql/selectors.h"

namespace vigil::evaluator {
namespace {

// Beyond the longest window a rule reads, the head keeps one evaluation interval of the
// slowest group (a timer evaluation runs at its scheduled time, at most an interval before
// now: a later one skips to the next slot) plus this much for the evaluation itself and the
// scrape timestamps' lag. Every sample kept costs memory in every series (at 1 s scrapes a
// minute of margin was ~0.1 KB per series).
constexpr int64_t kRetentionSlackMs = 10 * 1000;
// A series a group reads that has had no sample for this long (and no staleness marker
// reached us) no longer holds the group's event-driven evaluation back: Prometheus's
// lookback, after which the series is gone for queries too.
constexpr int64_t kMemberExpiryMs = promql::kLookbackDeltaMs;
// How late a round's data may be before the fallback timer evaluates without it.
constexpr int64_t kFallbackSlackMs = 1000;
// The producer of samples that came from outside (the bus, a backfill).
constexpr size_t kExternal = SIZE_MAX;

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
    case rules::AlertState::kInactive:
      return v1::ALERT_STATE_INACTIVE;
    case rules::AlertState::kPending:
      return v1::ALERT_STATE_PENDING;
    case rules::AlertState::kFiring:
      return v1::ALERT_STATE_FIRING;
  }
  return v1::ALERT_STATE_UNSPECIFIED;
}

TimestampMs OrZero(TimestampMs t) { return t == rules::kUnsetMs ? 0 : t; }

std::string GroupKey(const std::string& file, const std::string& name) {
  return StrCat(file, "\n", name);
}

}  // namespace

absl::Status Evaluator::LoadRules(const promconfig::PrometheusConfig& cfg, TimestampMs now) {
  std::vector<std::unique_ptr<rules::Group>> groups;
  for (const std::string& file : cfg.resolved_rule_files) {
    auto specs = rules::LoadRuleFile(file);
    if (!specs.ok()) return specs.status();
    for (rules::GroupSpec& spec : *specs) {
      groups.push_back(
          std::make_unique<rules::Group>(std::move(spec), cfg.global.evaluation_interval,
                                         cfg.global.external_labels, options_.external_url));
    }
  }
  int64_t longest = promql::kLookbackDeltaMs;
  int64_t longest_interval = 0;
  std::vector<Schedule> schedules(groups.size());
  promql::QueryOptions no_lookback;
  no_lookback.lookback_ms = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    const rules::Group& g = *groups[i];
    longest_interval = std::max(longest_interval, g.interval_ms());
    for (size_t r = 0; r < g.size(); ++r) {
      const promql::Expr& expr = *g.rule(r).expr;
      longest = std::max(longest, promql::MaxLookbehindMs(expr));
      schedules[i].reach_ms =
          std::max(schedules[i].reach_ms, promql::MaxLookbehindMs(expr, no_lookback));
      for (auto& sel : promql::ExtractSelectors(expr)) {
        schedules[i].selectors.push_back(std::move(sel));
      }
    }
    schedules[i].next_timer = g.NextEvaluation(now);
  }

  // Carry the state of the rules that stay over (Prometheus Manager.Update + CopyState);
  // everything the others wrote is stale.
  absl::flat_hash_map<std::string, rules::Group*> old;
  for (auto& g : groups_) old[GroupKey(g->file(), g->name())] = g.get();
  for (auto& g : groups) {
    auto it = old.find(GroupKey(g->file(), g->name()));
    if (it == old.end()) continue;
    for (labels::Labels& ls : g->CopyState(*it->second))
      stale_on_next_tick_.push_back(std::move(ls));
    old.erase(it);
  }
  for (auto& [key, g] : old) {
    for (labels::Labels& ls : g->WrittenSeries()) stale_on_next_tick_.push_back(std::move(ls));
  }

  const int64_t retention_ms = std::max(longest + longest_interval + kRetentionSlackMs,
                                        absl::ToInt64Milliseconds(options_.min_retention));
  lacking_history_.clear();
  if (rules_loaded_) {
    absl::flat_hash_set<std::string> had, listed;
    for (const Schedule& s : schedules_) {
      for (const auto& sel : s.selectors) had.insert(labels::MatchersKey(sel));
    }
    for (const Schedule& s : schedules) {
      for (const auto& sel : s.selectors) {
        std::string key = labels::MatchersKey(sel);
        if ((retention_ms > retention_ms_ || !had.contains(key)) &&
            listed.insert(std::move(key)).second) {
          lacking_history_.push_back(sel);
        }
      }
    }
  }
  rules_loaded_ = true;
  retention_ms_ = retention_ms;
  groups_ = std::move(groups);
  schedules_ = std::move(schedules);
  grouping_cache_.Clear();
  readers_.clear();
  reader_lists_.clear();
  reader_list_index_.clear();
  external_labels_ = cfg.global.external_labels;
  alert_relabel_configs_ = cfg.alert_relabel_configs;
  return absl::OkStatus();
}

const std::vector<uint32_t>& Evaluator::GroupsReading(const labels::Labels& series) {
  // Keyed by absl's hash of the label bytes, seeded per process, not by the fingerprint:
  // FNV collisions can be made with crafted label values, and what this returns also
  // decides how much of a series truncation keeps.
  const size_t key = ReadersKey(series);
  auto it = readers_.find(key);
  if (it != readers_.end()) return reader_lists_[it->second];
  std::vector<uint32_t> readers;
  for (size_t i = 0; i < schedules_.size(); ++i) {
    for (const auto& sel : schedules_[i].selectors) {
      if (labels::MatchesAll(sel, series)) {
        readers.push_back(static_cast<uint32_t>(i));
        break;
      }
    }
  }
  auto [list, inserted] =
      reader_list_index_.try_emplace(readers, static_cast<uint32_t>(reader_lists_.size()));
  if (inserted) reader_lists_.push_back(std::move(readers));
  readers_.emplace(key, list->second);
  return reader_lists_[list->second];
}

void Evaluator::NoteSample(const labels::Labels& series, TimestampMs t, double v, size_t producer) {
  if (!options_.event_driven) return;
  const std::vector<uint32_t>& readers = GroupsReading(series);
  if (readers.empty()) return;
  uint64_t fp = series.Fingerprint();
  for (uint32_t i : readers) {
    if (producer != kExternal && i <= producer) continue;
    Schedule& s = schedules_[i];
    s.any_fresh = true;
    auto it = s.members.find(fp);
    if (codec::IsStaleNaN(v)) {
      // The series is gone: nothing more to wait for from it.
      if (it != s.members.end()) {
        if (!it->second.fresh) --s.waiting;
        s.members.erase(it);
      }
      continue;
    }
    if (it == s.members.end()) {
      s.members.emplace(fp, Schedule::Member{t, true});
      continue;
    }
    if (!it->second.fresh) {
      it->second.fresh = true;
      --s.waiting;
    }
    it->second.last_sample = std::max(it->second.last_sample, t);
  }
}

size_t Evaluator::AppendExternal(const labels::Labels& series,
                                 std::span<const codec::Point> points) {
  size_t n = 0;
  const codec::Point* last = nullptr;
  for (const codec::Point& p : points) {
    if (head_.Append(series, p.t, p.v)) {
      ++n;
      last = &p;
    }
  }
  if (last != nullptr) NoteSample(series, last->t, last->v, kExternal);
  return n;
}

size_t Evaluator::OnSamples(const std::vector<codec::DecodedSeries>& series) {
  size_t n = 0;
  for (const codec::DecodedSeries& s : series) n += AppendExternal(s.labels, s.points);
  return n;
}

absl::StatusOr<size_t> Evaluator::OnSampleBatch(const v1::SampleBatch& batch) {
  size_t n = 0;
  absl::Status s = codec::ForEachSeries(
      batch, [&](const labels::Labels& series, std::span<const codec::Point> points) {
        n += AppendExternal(series, points);
      });
  if (!s.ok()) return s;
  return n;
}

bool Evaluator::DueByData(size_t i) const {
  const Schedule& s = schedules_[i];
  return options_.event_driven && s.any_fresh && s.waiting == 0;
}

std::optional<TimestampMs> Evaluator::EarlyAffordableAt(size_t i) const {
  const Schedule& s = schedules_[i];
  const double rate = options_.early_evaluation_budget;
  if (!options_.event_driven || !(rate > 0) || s.cost_ms > EarlyBudgetCapMs()) {
    return std::nullopt;
  }
  if (early_budget_ms_ >= s.cost_ms) return early_refilled_at_;
  // At most twice the cap short (the debt's floor), so at most 2000 ms away at any rate.
  const double wait = std::min((s.cost_ms - early_budget_ms_) / rate, 2 * kEarlyBurstMs);
  return early_refilled_at_ + static_cast<TimestampMs>(std::ceil(wait));
}

bool Evaluator::DueEarly(size_t i) const {
  if (!schedules_[i].any_fresh) return false;
  // RefillEarlyBudget ran at this Tick's now, so "affordable at or before then" is "now".
  std::optional<TimestampMs> at = EarlyAffordableAt(i);
  return at && *at <= early_refilled_at_;
}

void Evaluator::RefillEarlyBudget(TimestampMs now) {
  if (now < early_refilled_at_) early_refilled_at_ = now;  // the clock went back
  if (now == early_refilled_at_) return;
  const double rate = options_.early_evaluation_budget;
  // Should rounding leave the budget a hair short at the time EarlyAffordableAt gave, that
  // time is now and the next one it gives is a millisecond on: never a busy loop.
  early_budget_ms_ = std::min(
      EarlyBudgetCapMs(), early_budget_ms_ + static_cast<double>(now - early_refilled_at_) * rate);
  early_refilled_at_ = now;
}

std::optional<v1::AlertEvent> Evaluator::ToEvent(const rules::Group& g, size_t rule,
                                                 const rules::Alert& a, TimestampMs now) const {
  // What leaves the evaluator carries the external labels an alert's own labels lack, then
  // goes through alert_relabel_configs, as Prometheus's notifier treats what it sends
  // Alertmanager (the ALERTS series and the evaluator's own APIs keep the rule's labels).
  labels::Labels with_external = a.labels;
  for (const labels::LabelView& l : external_labels_) {
    if (!with_external.Has(l.name)) with_external = with_external.With(l.name, l.value);
  }
  std::optional<labels::Labels> sent = relabel::Process(with_external, alert_relabel_configs_);
  if (!sent || sent->empty()) return std::nullopt;
  v1::AlertEvent e;
  e.set_fingerprint(sent->FingerprintHex());
  codec::ToProto(*sent, e.mutable_labels());
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
  e.set_generator_url(StrCat(options_.external_url,
                             "/graph?g0.expr=", UrlEscape(g.rule(rule).expr_text), "&g0.tab=1"));
  e.set_event_time_ms(now);
  return e;
}

void Evaluator::Evaluate(size_t i, TimestampMs t, Trigger trigger,
                         codec::SampleBatchBuilder& recorded, TickOutput& out) {
  rules::Group& g = *groups_[i];
  Schedule& s = schedules_[i];
  promql::QueryOptions query_opts;
  query_opts.grouping_cache = &grouping_cache_;
  query_opts.window_memo = &window_memo_;
  rules::QueryFunc query = [&](const promql::Expr& expr, TimestampMs at) {
    return promql::EvalInstant(expr, at, head_, query_opts);
  };
  int64_t interval = g.interval_ms();
  rules::GroupEvalOptions opts{options_.resend_delay};
  opts.clock = options_.clock;
  opts.hold_absent_alerts = t - data_since_ < s.reach_ms + interval;
  rules::GroupResult r = g.Eval(t, query, opts, [&](const rules::RecordedSample& rs) {
    if (head_.Append(rs.labels, rs.t, rs.value)) {
      window_memo_.Appended(rs.labels, head_.generation() - 1);
      NoteSample(rs.labels, rs.t, rs.value, i);
    }
  });
  // Its values hold at most until the next scrape: not worth their memory until then.
  window_memo_.Clear();
  for (const auto& [rule, fp] : r.alerts) {
    auto e = ToEvent(g, rule, g.alerting(rule)->active().at(fp), t);
    if (e) *out.alerts.add_alerts() = *std::move(e);
  }
  for (const rules::RecordedSample& rs : r.recorded) recorded.Add(rs.labels, rs.t, rs.value);
  const bool by_data = trigger != Trigger::kTimer;
  if (by_data && !r.alerts.empty()) {
    out.data_triggered_alerts += static_cast<int>(r.alerts.size());
    // Fresh data from an earlier group's output in this Tick has no stamp yet: no wait.
    if (s.fresh_since != kNotFresh)
      out.data_wait_ms = std::max(out.data_wait_ms, t - s.fresh_since);
  }
  switch (trigger) {
    case Trigger::kTimer:
      ++out.timer_evaluations;
      break;
    case Trigger::kRound:
      ++out.round_evaluations;
      break;
    case Trigger::kEarly:
      ++out.early_evaluations;
      break;
  }
  s.any_fresh = false;
  s.fresh_since = kNotFresh;
  if (trigger != Trigger::kEarly) {
    // A new round starts: every member must bring a sample newer than this evaluation. (An
    // early evaluation leaves the round as it is, so the arrival that completes it is
    // evaluated at once whatever the budget holds.)
    for (auto it = s.members.begin(); it != s.members.end();) {
      if (it->second.last_sample < t - kMemberExpiryMs) {
        s.members.erase(it++);
        continue;
      }
      it->second.fresh = false;
      ++it;
    }
    s.waiting = s.members.size();
  }
  // After an evaluation on data, the timer is the fallback for a round that does not
  // come: a little after the next round is due (half an interval, at most a second), since
  // rounds arrive a few milliseconds either side of it (a fallback at exactly one interval
  // fired just before most rounds' data, so each round was evaluated twice: by the timer
  // without its data, then by its data). After a timer evaluation, the next aligned slot
  // (Prometheus's schedule).
  s.next_timer = by_data ? t + interval + std::min<int64_t>(interval / 2, kFallbackSlackMs)
                         : g.NextEvaluation(t);
}

void Evaluator::RunEvaluation(size_t i, TimestampMs t, Trigger trigger,
                              codec::SampleBatchBuilder& recorded, TickOutput& out) {
  Schedule& s = schedules_[i];
  if (evaluation_hook_) {
    s.cost_ms = absl::ToDoubleMilliseconds(
        evaluation_hook_(*groups_[i], [&] { Evaluate(i, t, trigger, recorded, out); }));
  } else {
    Evaluate(i, t, trigger, recorded, out);
  }
  // Charged what it really took, which may leave the budget in debt until it refills; not
  // more than the budget holds, so one evaluation held up (the process descheduled, say)
  // stops early evaluations for at most twice the refill time.
  if (trigger == Trigger::kEarly) {
    early_budget_ms_ = std::max(early_budget_ms_ - s.cost_ms, -EarlyBudgetCapMs());
  }
}

TickOutput Evaluator::Tick(TimestampMs now) {
  TickOutput out = EvaluateDue(now);
  TruncateIfDue(now);
  return out;
}

TickOutput Evaluator::EvaluateDue(TimestampMs now) {
  TickOutput out;
  codec::SampleBatchBuilder recorded;
  for (const labels::Labels& ls : stale_on_next_tick_) {
    if (head_.Append(ls, now, codec::StaleNaN())) recorded.Add(ls, now, codec::StaleNaN());
  }
  stale_on_next_tick_.clear();
  RefillEarlyBudget(now);
  for (Schedule& s : schedules_) {
    if (s.any_fresh && s.fresh_since == kNotFresh) s.fresh_since = now;
  }
  // In file order, so a group's output can make a later group due in the same Tick.
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (schedules_[i].next_timer <= now) {
      // Prometheus evaluates at the scheduled time, not when it got round to it; when more
      // than an interval late (a long pause, an evaluation that took longer than the
      // interval), at the latest slot that has come, counting the intervals skipped as
      // missed iterations (rules/manager.go's run loop in 2.42). The fallback timer after
      // a data evaluation is off the group's grid: a grid slot that has come since is
      // later, and is the one evaluated.
      const TimestampMs due = schedules_[i].next_timer;
      const int64_t interval = groups_[i]->interval_ms();
      const TimestampMs latest_slot = std::max(due + (now - due) / interval * interval,
                                               groups_[i]->NextEvaluation(now) - interval);
      if (const int64_t missed = (latest_slot - due) / interval; missed > 0) {
        out.missed_iterations.emplace_back(groups_[i].get(), missed);
      }
      // A round completed by data at the slot's very time is an evaluation on data, and
      // the timer goes back to being the fallback, as after any other.
      const Trigger trigger =
          latest_slot == now && DueByData(i) ? Trigger::kRound : Trigger::kTimer;
      RunEvaluation(i, latest_slot, trigger, recorded, out);
    } else if (now > groups_[i]->last_evaluation()) {
      if (DueByData(i)) {
        RunEvaluation(i, now, Trigger::kRound, recorded, out);
      } else if (DueEarly(i)) {
        RunEvaluation(i, now, Trigger::kEarly, recorded, out);
      }
    }
  }
  out.recorded = recorded.Take();
  return out;
}

void Evaluator::TruncateIfDue(TimestampMs now) {
  if (now - last_truncate_ >= kTruncateEveryMs || now < last_truncate_) {
    // Of the series no rule reads, only --storage.min-retention (at least kRetentionSlackMs,
    // so that an API query whose time was taken a little before this Tick, or sent a little
    // in the past, still finds the sample it would have found) and the newest sample before
    // that: the window is of what the rules read.
    const int64_t unread_ms =
        std::max(absl::ToInt64Milliseconds(options_.min_retention), kRetentionSlackMs);
    head_.Truncate(
        now - retention_ms_, now - unread_ms,
        [this](const tsdb::MemSeries& s) { return GroupsReading(s.labels()).empty(); },
        [this](const tsdb::MemSeries& s) { readers_.erase(ReadersKey(s.labels())); });
    last_truncate_ = now;
  }
}

std::optional<TimestampMs> Evaluator::NextDeadline() const {
  std::optional<TimestampMs> next;
  for (size_t i = 0; i < schedules_.size(); ++i) {
    TimestampMs t = schedules_[i].next_timer;
    if (DueByData(i)) {
      t = std::min(t, groups_[i]->last_evaluation() + 1);
    } else if (schedules_[i].any_fresh) {
      if (std::optional<TimestampMs> early = EarlyAffordableAt(i)) {
        t = std::min(t, std::max(*early, groups_[i]->last_evaluation() + 1));
      }
    }
    if (!next || t < *next) next = t;
  }
  return next;
}

std::vector<v1::AlertEvent> Evaluator::ActiveAlerts(TimestampMs now) const {
  std::vector<v1::AlertEvent> out;
  for (const auto& g : groups_) {
    for (size_t i = 0; i < g->size(); ++i) {
      if (const rules::AlertingRule* r = g->alerting(i)) {
        for (const auto& [fp, a] : r->active()) {
          if (auto e = ToEvent(*g, i, a, now)) out.push_back(*std::move(e));
        }
      }
    }
  }
  return out;
}

v1::AlertStateSnapshot Evaluator::SnapshotAlerts(TimestampMs now) const {
  v1::AlertStateSnapshot snap;
  snap.set_written_at_ms(now);
  for (const auto& g : groups_) {
    for (size_t i = 0; i < g->size(); ++i) {
      const rules::AlertingRule* r = g->alerting(i);
      if (r == nullptr) continue;
      for (const auto& [fp, a] : r->active()) {
        v1::PersistedAlert* p = snap.add_alerts();
        p->set_group_file(g->file());
        p->set_group_name(g->name());
        p->set_rule_key(rules::Group::RuleKey(g->rule(i)));
        codec::ToProto(a.labels, p->mutable_labels());
        for (const auto& [k, v] : a.annotations) {
          v1::Label* l = p->add_annotations();
          l->set_name(k);
          l->set_value(v);
        }
        p->set_state(static_cast<int>(a.state));
        p->set_value(a.value);
        p->set_active_at_ms(a.active_at);
        p->set_fired_at_ms(a.fired_at);
        p->set_resolved_at_ms(a.resolved_at);
        p->set_last_sent_at_ms(a.last_sent_at);
        p->set_valid_until_ms(a.valid_until);
        p->set_keep_firing_since_ms(a.keep_firing_since);
      }
    }
  }
  return snap;
}

size_t Evaluator::RestoreAlerts(const v1::AlertStateSnapshot& snapshot, TimestampMs data_since) {
  absl::flat_hash_map<std::string, size_t> by_key;
  for (size_t i = 0; i < groups_.size(); ++i) {
    by_key[GroupKey(groups_[i]->file(), groups_[i]->name())] = i;
  }
  size_t n = 0;
  for (const v1::PersistedAlert& p : snapshot.alerts()) {
    auto g = by_key.find(GroupKey(p.group_file(), p.group_name()));
    if (g == by_key.end()) continue;
    rules::Group& group = *groups_[g->second];
    for (size_t i = 0; i < group.size(); ++i) {
      rules::AlertingRule* r = group.mutable_alerting(i);
      if (r == nullptr || rules::Group::RuleKey(group.rule(i)) != p.rule_key()) continue;
      if (p.state() < 0 || p.state() > static_cast<int>(rules::AlertState::kFiring)) break;
      rules::Alert a;
      a.labels = codec::FromProto(p.labels());
      for (const v1::Label& l : p.annotations()) a.annotations.emplace_back(l.name(), l.value());
      a.state = static_cast<rules::AlertState>(p.state());
      a.value = p.value();
      a.active_at = p.active_at_ms();
      a.fired_at = p.fired_at_ms();
      a.resolved_at = p.resolved_at_ms();
      a.last_sent_at = p.last_sent_at_ms();
      a.valid_until = p.valid_until_ms();
      a.keep_firing_since = p.keep_firing_since_ms();
      r->Restore(std::move(a));
      ++n;
      break;
    }
  }
  data_since_ = data_since;
  persisted_digest_ = AlertDigest();
  return n;
}

std::string Evaluator::AlertDigest() const {
  std::string d;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const rules::Group& g = *groups_[gi];
    for (size_t i = 0; i < g.size(); ++i) {
      const rules::AlertingRule* r = g.alerting(i);
      if (r == nullptr) continue;
      for (const auto& [fp, a] : r->active()) {
        d += fmt::format("{}/{}/{:x}/{}/{}/{}/{}/{}/{}/{};", gi, i, fp, static_cast<int>(a.state),
                         a.active_at, a.fired_at, a.resolved_at, a.last_sent_at, a.valid_until,
                         a.keep_firing_since);
      }
    }
  }
  return d;
}

bool Evaluator::alerts_changed() const { return AlertDigest() != persisted_digest_; }

void Evaluator::MarkPersisted() { persisted_digest_ = AlertDigest(); }

std::vector<std::vector<labels::Matcher>> Evaluator::Selectors() const {
  std::vector<std::vector<labels::Matcher>> out;
  for (const Schedule& s : schedules_)
    out.insert(out.end(), s.selectors.begin(), s.selectors.end());
  return out;
}

void Evaluator::SkipTimersPast(TimestampMs now) {
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (schedules_[i].next_timer <= now) schedules_[i].next_timer = groups_[i]->NextEvaluation(now);
  }
}

size_t Evaluator::InsertHistory(const std::vector<codec::DecodedSeries>& series) {
  size_t n = 0;
  std::vector<tsdb::Point> points;
  for (const codec::DecodedSeries& s : series) {
    points.clear();
    for (const codec::Point& p : s.points) points.push_back({p.t, p.v});
    n += head_.InsertOlder(s.labels, points);
  }
  return n;
}

size_t Evaluator::rule_count() const {
  size_t n = 0;
  for (const auto& g : groups_) n += g->size();
  return n;
}

}  // namespace vigil::evaluator
