#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/codec/samples.h"
#include "lib/promconfig/promconfig.h"
#include "lib/promql/query_cache.h"
#include "lib/rules/group.h"
#include "lib/tsdb/head.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/evaluator_state.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::evaluator {

struct EvaluatorOptions {
  // Prometheus --rules.alert.resend-delay.
  absl::Duration resend_delay = absl::Minutes(1);
  // Prefix of generatorURL links, e.g. "http://127.0.0.1:9402".
  std::string external_url;
  // History kept even when no rule reads that far back, for queries
  // (--storage.min-retention). The window is the larger of this and what the rules need.
  absl::Duration min_retention = absl::ZeroDuration();
  // Evaluate a group as soon as every series it reads has a fresh sample (see Evaluator);
  // the interval timer stays as the fallback. False: on the interval only, as Prometheus.
  bool event_driven = true;
  // Early evaluations (event-driven mode): a group whose round is not complete yet (some of
  // the series it reads have fresh samples, others not) is evaluated at once too, as long
  // as such evaluations take no more than this share of the time (evaluation time, as the
  // evaluation hook measures it, per unit of time): a budget refilled at this rate that
  // holds at most a second's worth. An early evaluation is admitted when the budget holds
  // its group's last evaluation time and is charged what it took. Groups share the budget
  // in file order. A group that costs more than the budget holds waits for its whole round.
  // 0: always wait for the whole round. Must be 0 or in [0.001, 1].
  double early_evaluation_budget = 0.1;
  // kXorOnly: every chunk in Prometheus's XOR coding, none in the decimal one
  // (--storage.head.value-coding=xor; for comparing memory).
  tsdb::ValueCodings value_codings = tsdb::ValueCodings::kXorOrDecimal;
  // Times each group's evaluation and its rules (the /api/v1/rules evaluationTime); none:
  // they read 0. The app passes a monotonic clock; tests that check them pass their own.
  std::function<absl::Time()> clock;
};

// What one Tick produced, ready to publish.
struct TickOutput {
  v1::AlertBatch alerts;     // topic "alerts"
  v1::SampleBatch recorded;  // topic "samples.recorded": rule output, ALERTS, stale markers
  // Alert events in `alerts` that came from evaluations triggered by arriving data (not by
  // the timer): their latency from sample arrival is what event-driven evaluation buys.
  int data_triggered_alerts = 0;
  // How long after the first of their data arrived the evaluations behind
  // data_triggered_alerts ran, at most (in Tick time): from the first Tick with a fresh
  // sample for the group, so a round evaluation counts the wait for the round's other
  // targets (scraped at other phases of the interval) and an early one the wait for the
  // budget; 0 when the group ran in that first Tick.
  int64_t data_wait_ms = 0;
  // Evaluations: on data, of complete rounds and early ones (see early_evaluation_budget);
  // by the timer.
  int round_evaluations = 0;
  int early_evaluations = 0;
  int timer_evaluations = 0;
  // Groups whose timer came more than an interval late, and how many of their slots were
  // skipped (Prometheus's prometheus_rule_group_iterations_missed_total).
  std::vector<std::pair<const rules::Group*, int64_t>> missed_iterations;
};

// The evaluator's core: keeps recent samples in a Head, evaluates the rule groups of the
// rule files named by prometheus.yml, and turns alert state changes and re-sends into
// AlertEvents. No I/O, no clock: `now` comes in.
//
// When a group is evaluated. Interval mode (Prometheus): at its aligned slot every
// `interval`. Event-driven mode (default): the group knows the series its selectors match;
// once each of them has a sample newer than the group's last evaluation (a staleness
// marker removes a series from the set), the group is evaluated at the next Tick, at that
// Tick's `now`. Before that, fresh samples of only some of them make an early evaluation
// while the early-evaluation budget allows it: the series of one target need not wait for
// the group's slowest target (EvaluatorOptions::early_evaluation_budget). The timer stays as the
// fallback: a group not evaluated for an interval (a target stopped answering, a series never comes
// back) is evaluated by the timer. A rule group's own output never triggers it; output of an
// earlier group triggers later groups that read it (in file order), so chains of recording rules
// run in one Tick and cycles cannot loop.
//
// Restart safety: SnapshotAlerts/RestoreAlerts carry every alert (ActiveAt, firing,
// keep_firing_for progress, resolved-but-still-sent) across a restart; after a restore,
// alerts the expressions do not return are held unchanged until the window holds enough
// data for the rules that produce them (WarmUp).
class Evaluator {
 public:
  explicit Evaluator(EvaluatorOptions options)
      : options_(std::move(options)), head_(nullptr, options_.value_codings) {}

  // Loads every rule file of `cfg`. On error nothing changes and the error names
  // file:line:col. Groups are scheduled from `now`. On a reload, rules that are still
  // there keep their alerts (as Prometheus's CopyState), and series of rules that are gone
  // are marked stale at the next Tick.
  absl::Status LoadRules(const promconfig::PrometheusConfig& cfg, TimestampMs now);

  // Appends decoded samples to the head and notes which groups they make fresh. Returns
  // how many were accepted.
  size_t OnSamples(const std::vector<codec::DecodedSeries>& series);
  // The same for a batch from the bus, read series by series (no label set or point is
  // copied but what a new series keeps). A malformed batch is rejected whole.
  absl::StatusOr<size_t> OnSampleBatch(const v1::SampleBatch& batch);

  // Evaluates every group due at `now` (timer or fresh data) and drops samples older than
  // the window: EvaluateDue(now), then TruncateIfDue(now).
  TickOutput Tick(TimestampMs now);
  // The two halves of Tick: the process publishes what the first gives before the second
  // walks every series (tens of milliseconds at 100k series, every kTruncateEveryMs), so
  // no alert waits for it.
  TickOutput EvaluateDue(TimestampMs now);
  void TruncateIfDue(TimestampMs now);

  // When the next Tick has something to do: a timer evaluation, a complete round (due now),
  // or an early evaluation (now, or once the budget holds its cost).
  std::optional<TimestampMs> NextDeadline() const;

  // Every pending/firing alert, and resolved ones still kept, as events.
  std::vector<v1::AlertEvent> ActiveAlerts(TimestampMs now) const;

  // The alert state to persist, and whether it changed in a way that matters after a
  // restart (state, times, re-sends; not values) since the last MarkPersisted().
  v1::AlertStateSnapshot SnapshotAlerts(TimestampMs now) const;
  bool alerts_changed() const;
  void MarkPersisted();
  // Puts back the alerts of a snapshot into the loaded rules that still exist (by group
  // file, group name and rule name+labels); returns how many were restored. Until the
  // window holds data from `data_since` back far enough for a group's rules, the group's
  // absent alerts are held (see class comment).
  size_t RestoreAlerts(const v1::AlertStateSnapshot& snapshot, TimestampMs data_since);
  // The time from which the head holds continuous data (start, or what a backfill gave).
  void set_data_since(TimestampMs t) { data_since_ = t; }

  const std::vector<std::unique_ptr<rules::Group>>& groups() const { return groups_; }
  const tsdb::Head& head() const { return head_; }
  const promql::GroupingCache& grouping_cache() const { return grouping_cache_; }
  // Label sets whose reading groups are cached: the head's series, at most.
  size_t readers_cached() const { return readers_.size(); }
  size_t rule_count() const;
  // How much history the head keeps of the series rules read: the longest window any loaded
  // rule reads (range, offset and the 5-minute lookback included) plus the longest group
  // interval and 10 s, or min_retention if longer. Of the series no rule reads it keeps
  // min_retention (at least 10 s) and the newest sample before that.
  int64_t retention_ms() const { return retention_ms_; }
  // The selectors of every loaded rule (for a backfill of just what they read).
  std::vector<std::vector<labels::Matcher>> Selectors() const;
  // The selectors whose series may hold less history than the loaded rules read, as of
  // the last LoadRules: after a reload, those no rule had before (the head kept only the
  // newest samples of the series they match) or, when the reload made the window longer,
  // every one, each once. Empty after the first LoadRules (a start backfills every
  // selector).
  const std::vector<std::vector<labels::Matcher>>& SelectorsLackingHistory() const {
    return lacking_history_;
  }
  // Puts history read back from the reporter in front of what the head holds of each
  // series (tsdb::Head::InsertOlder); returns how many samples were added. History is not
  // fresh data: it makes no group due.
  size_t InsertHistory(const std::vector<codec::DecodedSeries>& series);
  // Moves the timers of groups whose slot came while the loop was held up by a reload's
  // backfill to their next slot after `now`, without counting missed iterations: as in
  // Prometheus, a group a reload (re)creates starts at its next slot.
  void SkipTimersPast(TimestampMs now);

  // Called around every group evaluation with the group and the evaluation to run; returns
  // how long the evaluation took. The app times it there
  // (vigil_evaluator_rule_group_last_duration_seconds), as the core has no clock; the
  // duration is what an early evaluation is charged, and what the group's next one needs
  // the budget to hold. Without a hook, evaluations cost nothing.
  using EvaluationHook =
      std::function<absl::Duration(const rules::Group&, const std::function<void()>&)>;
  void set_evaluation_hook(EvaluationHook hook) { evaluation_hook_ = std::move(hook); }

 private:
  // Event-driven bookkeeping of one group.
  struct Schedule {
    TimestampMs next_timer = 0;
    std::vector<std::vector<labels::Matcher>> selectors;
    // Longest range + offset its rules read (no lookback): the warm-up after a restore.
    int64_t reach_ms = 0;
    struct Member {
      TimestampMs last_sample = 0;
      bool fresh = false;
    };
    absl::flat_hash_map<uint64_t, Member> members;  // by series fingerprint
    size_t waiting = 0;                             // members not fresh
    bool any_fresh = false;                         // a member got a sample since last eval
    double cost_ms = 0;                             // the last evaluation's duration
    // The first Tick after any_fresh became true (kNotFresh when it is false).
    TimestampMs fresh_since = kNotFresh;
  };
  static constexpr TimestampMs kNotFresh = std::numeric_limits<TimestampMs>::min();
  enum class Trigger { kTimer, kRound, kEarly };

  void NoteSample(const labels::Labels& series, TimestampMs t, double v, size_t producer);
  // Appends one series' points from outside; returns how many were accepted.
  size_t AppendExternal(const labels::Labels& series, std::span<const codec::Point> points);
  // The groups whose selectors match `series` (computed once per label set, cached until
  // the head drops the series or the rules are reloaded).
  const std::vector<uint32_t>& GroupsReading(const labels::Labels& series);
  static size_t ReadersKey(const labels::Labels& series) { return absl::HashOf(series.bytes()); }
  bool DueByData(size_t i) const;
  // Whether group i may be evaluated early now (fresh data, incomplete round, budget).
  bool DueEarly(size_t i) const;
  // When the budget will hold what group i's next early evaluation costs; nullopt if never.
  std::optional<TimestampMs> EarlyAffordableAt(size_t i) const;
  void RefillEarlyBudget(TimestampMs now);
  void Evaluate(size_t i, TimestampMs t, Trigger trigger, codec::SampleBatchBuilder& recorded,
                TickOutput& out);
  // Evaluate, through the evaluation hook when there is one.
  void RunEvaluation(size_t i, TimestampMs t, Trigger trigger, codec::SampleBatchBuilder& recorded,
                     TickOutput& out);
  // The event sent for an alert: nullopt when alert_relabel_configs drop it.
  std::optional<v1::AlertEvent> ToEvent(const rules::Group& g, size_t rule, const rules::Alert& a,
                                        TimestampMs now) const;
  std::string AlertDigest() const;

  EvaluatorOptions options_;
  EvaluationHook evaluation_hook_;
  labels::Labels external_labels_;
  std::vector<relabel::Config> alert_relabel_configs_;
  tsdb::Head head_;
  // What rule queries keep for the next ones (lib/promql/query_cache.h): aggregations'
  // groups per series, across evaluations (cleared when the rules are loaded again), and
  // window functions' values within one evaluation (emptied after it).
  promql::GroupingCache grouping_cache_;
  promql::WindowMemo window_memo_;
  std::vector<std::unique_ptr<rules::Group>> groups_;
  std::vector<Schedule> schedules_;
  // Which groups read a series (by a hash of its labels), as an index into reader_lists_: most
  // series share one of a few lists, and a vector per series cost ~50 B of the ~2 KB a
  // series holds. Rebuilt lazily after a reload.
  absl::flat_hash_map<size_t, uint32_t> readers_;
  std::vector<std::vector<uint32_t>> reader_lists_;
  absl::flat_hash_map<std::vector<uint32_t>, uint32_t> reader_list_index_;
  std::vector<labels::Labels> stale_on_next_tick_;
  // The early-evaluation budget: evaluation time (ms) early evaluations may still take,
  // as of early_refilled_at_. Starts full.
  double early_budget_ms_ = kEarlyBurstMs * options_.early_evaluation_budget;
  TimestampMs early_refilled_at_ = 0;
  // The bucket holds what the budget earns in this much time.
  static constexpr double kEarlyBurstMs = 1000;
  double EarlyBudgetCapMs() const { return kEarlyBurstMs * options_.early_evaluation_budget; }
  int64_t retention_ms_ = 0;
  std::vector<std::vector<labels::Matcher>> lacking_history_;
  // Whether LoadRules has succeeded before (a start backfills every selector itself).
  bool rules_loaded_ = false;
  // Truncating walks every series: done every kTruncateEveryMs of evaluation time, not
  // on every Tick (one per arriving sample batch), at the cost of holding up to that much
  // more history than the retention.
  static constexpr int64_t kTruncateEveryMs = 10'000;
  TimestampMs last_truncate_ = 0;
  TimestampMs data_since_ = 0;
  std::string persisted_digest_;
};

}  // namespace vigil::evaluator
