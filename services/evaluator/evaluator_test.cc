#include "services/evaluator/evaluator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <fstream>
#include <random>

#include "lib/base/format.h"
#include "lib/promql/engine.h"
#include "lib/promql/parser.h"
#include "lib/promql/selectors.h"
#include "services/evaluator/state_file.h"

namespace vigil::evaluator {
namespace {

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-evaluator-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Write("rules.yml", R"(
groups:
  - name: availability
    interval: 10s
    rules:
      - alert: MemoryStoreServiceDown
        expr: up{job="memory_store"} == 0
        for: 30s
        labels: {severity: P1}
        annotations: {summary: "{{ $labels.job }} is down"}
      - record: job:up:copy
        expr: up
)");
    Write("prometheus.yml", "global: {evaluation_interval: 10s}\nrule_files: [rules.yml]\n");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  promconfig::PrometheusConfig Config() {
    auto c = promconfig::LoadPrometheusConfig(dir_ + "/prometheus.yml");
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }
  void Up(Evaluator& e, TimestampMs t, double v) {
    e.OnSamples({codec::DecodedSeries{
        labels::Labels({{"__name__", "up"}, {"job", "memory_store"}, {"instance", "h:1"}}),
        {{t, v}}}});
  }
  // Runs ticks every second from `from` to `to`, collecting alert events.
  std::vector<v1::AlertEvent> Run(Evaluator& e, TimestampMs from, TimestampMs to, double up) {
    std::vector<v1::AlertEvent> events;
    for (TimestampMs t = from; t <= to; t += 1000) {
      if (t % 5000 == 0) Up(e, t, up);  // scraped every 5 s
      TickOutput out = e.Tick(t);
      for (const auto& a : out.alerts.alerts()) events.push_back(a);
    }
    return events;
  }

  // Loads `prometheus_yml` into `e` and runs a minute with memory_store down: the labels
  // of the first alert event, whose fingerprint must be theirs (empty after a failure).
  labels::Labels FirstSentLabels(Evaluator& e, const std::string& prometheus_yml) {
    Write("prometheus.yml", prometheus_yml);
    EXPECT_TRUE(e.LoadRules(Config(), 0).ok());
    auto events = Run(e, 0, 60'000, 0);
    EXPECT_FALSE(events.empty());
    if (events.empty()) return labels::Labels();
    labels::Labels sent = codec::FromProto(events[0].labels());
    EXPECT_EQ(events[0].fingerprint(), sent.FingerprintHex());
    return sent;
  }

  std::string dir_;
};

TEST_F(EvaluatorTest, FiresAfterForAndResolves) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  EXPECT_EQ(e.rule_count(), 2u);
  auto events = Run(e, 0, 20'000, 1);
  EXPECT_TRUE(events.empty());
  events = Run(e, 21'000, 120'000, 0);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].state(), v1::ALERT_STATE_PENDING);
  EXPECT_EQ(events[1].state(), v1::ALERT_STATE_FIRING);
  // Fires on the first evaluation at least 30 s after it became active.
  EXPECT_EQ(events[1].fired_at_ms() - events[1].active_at_ms(), 30'000);
  EXPECT_EQ(events[1].fingerprint(), events[0].fingerprint());
  EXPECT_EQ(events[1].annotations(0).value(), "memory_store is down");
  EXPECT_GT(events[1].valid_until_ms(), events[1].fired_at_ms());
  EXPECT_NE(events[1].generator_url().find("http://ev/graph?g0.expr=up%7Bjob"), std::string::npos);
  events = Run(e, 121'000, 140'000, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state(), v1::ALERT_STATE_INACTIVE);
  EXPECT_GT(events[0].resolved_at_ms(), 0);
}

// Alert events carry the external labels the alert lacks, as what Prometheus sends
// Alertmanager; a label of the alert's own wins; the fingerprint is of what is sent.
TEST_F(EvaluatorTest, AlertEventsCarryTheExternalLabels) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  const labels::Labels sent = FirstSentLabels(
      e,
      "global: {evaluation_interval: 10s, external_labels: {cluster: eu1, severity: P3}}\n"
      "rule_files: [rules.yml]\n");
  EXPECT_EQ(sent.Get("cluster"), "eu1");
  EXPECT_EQ(sent.Get("severity"), "P1");  // the rule's own label
  // The ALERTS series is the rule's labels only, as Prometheus's.
  auto alerts = promql::EvalInstant(**promql::ParseExpr("ALERTS"), 60'000, e.head());
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_FALSE(alerts->empty());
  for (const auto& s : *alerts) EXPECT_FALSE(s.metric.Has("cluster"));
}

// alerting.alert_relabel_configs apply to what is sent, after the external labels: here
// one label dropped and, in a second configuration, every P1 alert dropped (not sent, not
// listed for a resync).
TEST_F(EvaluatorTest, AlertRelabelConfigsApplyToWhatIsSent) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  const labels::Labels sent = FirstSentLabels(
      e,
      "global: {evaluation_interval: 10s, external_labels: {cluster: eu1}}\n"
      "alerting:\n"
      "  alertmanagers: [{static_configs: [{targets: ['am:9093']}]}]\n"
      "  alert_relabel_configs:\n"
      "    - {action: labeldrop, regex: instance}\n"
      "    - {source_labels: [cluster], target_label: region, replacement: 'r-$1'}\n"
      "rule_files: [rules.yml]\n");
  EXPECT_FALSE(sent.Has("instance"));
  EXPECT_EQ(sent.Get("region"), "r-eu1");

  Write("prometheus.yml",
        "global: {evaluation_interval: 10s}\n"
        "alerting:\n"
        "  alert_relabel_configs: [{source_labels: [severity], regex: P1, action: drop}]\n"
        "rule_files: [rules.yml]\n");
  Evaluator dropping(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  ASSERT_TRUE(dropping.LoadRules(Config(), 0).ok());
  EXPECT_TRUE(Run(dropping, 0, 60'000, 0).empty());
  EXPECT_TRUE(dropping.ActiveAlerts(60'000).empty());
  // The rule still fires: the ALERTS series has it.
  auto alerts = promql::EvalInstant(**promql::ParseExpr("ALERTS{alertstate=\"firing\"}"), 60'000,
                                    dropping.head());
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->size(), 1u);
}

TEST_F(EvaluatorTest, RetentionCoversTheLongestWindowARuleReads) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  // The 5-minute lookback, the group's 10 s interval (a timer evaluation may run up to an
  // interval after its scheduled time, and reads back from that time) and 10 s of slack.
  EXPECT_EQ(e.retention_ms(), 5 * 60'000 + 10'000 + 10'000);
  Write("rules.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: Spike\n"
        "        expr: rate(x[1h] offset 1h) > 2 * rate(x[5m])\n");
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  EXPECT_GE(e.retention_ms(), 2 * 3'600'000);
  // Samples two hours old are still there for the rule to read.
  e.OnSamples({codec::DecodedSeries{labels::Labels({{"__name__", "x"}}), {{0, 1}}}});
  e.Tick(2 * 3'600'000);
  EXPECT_EQ(e.head().num_samples(), 1u);
}

// Tick is EvaluateDue then TruncateIfDue; the process publishes in between, so evaluating
// never truncates (an alert does not wait for the walk over every series).
TEST_F(EvaluatorTest, EvaluatingLeavesTruncationToItsOwnStep) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  labels::Labels up({{"__name__", "up"}, {"job", "genesis"}});
  e.OnSamples({codec::DecodedSeries{up, {{1000, 1}}}});
  e.OnSamples({codec::DecodedSeries{up, {{3'600'000, 1}}}});
  e.EvaluateDue(3'600'000);
  EXPECT_EQ(e.head().num_samples(), 2u);
  e.TruncateIfDue(3'600'000);
  EXPECT_EQ(e.head().num_samples(), 1u);
}

// The window is of what the rules read: a series no rule reads (here the recording
// job:up:copy, and `other`) keeps only --storage.min-retention and its newest sample before
// that, which an instant query at now still finds.
TEST_F(EvaluatorTest, ASeriesNoRuleReadsKeepsOnlyItsNewestSamples) {
  for (int64_t min_retention_s : {0, 60}) {
    EvaluatorOptions o;
    o.min_retention = absl::Seconds(min_retention_s);
    Evaluator e(o);
    ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
    const labels::Labels other({{"__name__", "other"}});
    for (TimestampMs t = 0; t <= 200'000; t += 1000) {
      if (t % 5000 == 0) {
        Up(e, t, 1);
        e.OnSamples({codec::DecodedSeries{other, {{t, 1}}}});
      }
      e.Tick(t);
    }
    // The last truncation was at 200 s (every 10 s).
    auto samples = [&](const std::string& name) -> std::vector<tsdb::Point> {
      auto m = labels::Matcher::Create(labels::MatchType::kEqual, "__name__", name);
      std::vector<tsdb::Point> out;
      for (const tsdb::MemSeries* s : e.head().Select({*m})) s->Decode(&out);
      return out;
    };
    SCOPED_TRACE(min_retention_s);
    EXPECT_EQ(samples("up").size(), 41u);  // every 5 s since 0: all in the window
    for (const std::string unread : {"job:up:copy", "other"}) {
      std::vector<tsdb::Point> p = samples(unread);
      ASSERT_FALSE(p.empty()) << unread;
      EXPECT_EQ(p.back().t, 200'000) << unread;
      // Since 200 s - min_retention (at least 10 s), and the newest one before (5 s earlier).
      const TimestampMs kept_ms = std::max<int64_t>(min_retention_s, 10) * 1000;
      EXPECT_EQ(p.front().t, 200'000 - kept_ms - 5000) << unread;
      // An instant query a little later still finds the newest.
      auto v = promql::EvalInstant(**promql::ParseExpr(unread), 202'000, e.head());
      ASSERT_TRUE(v.ok()) << v.status();
      EXPECT_EQ(v->size(), 1u) << unread;
    }
  }
}

// A Tick's alert events and recorded samples as text, a line each, in the batch's order;
// a value by its bits (a staleness marker is one NaN among others).
std::vector<std::string> Lines(const v1::AlertBatch& batch) {
  std::vector<std::string> out;
  for (const auto& a : batch.alerts()) out.push_back(a.DebugString());
  return out;
}
std::vector<std::string> Lines(const v1::SampleBatch& batch) {
  std::vector<std::string> out;
  auto series = codec::DecodeSampleBatch(batch);
  EXPECT_TRUE(series.ok()) << series.status();
  if (!series.ok()) return out;
  for (const auto& s : *series) {
    for (const auto& p : s.points) {
      out.push_back(StrCat(s.labels.ToString(), " ", p.t, " ", std::bit_cast<uint64_t>(p.v)));
    }
  }
  return out;
}
// The same, sorted: the order of a rule's alerts is its map's (random in Prometheus).
template <typename Batch>
std::vector<std::string> Sorted(const Batch& batch) {
  std::vector<std::string> out = Lines(batch);
  std::sort(out.begin(), out.end());
  return out;
}

// Keeping only the newest samples of what no rule reads changes no rule's answer: the same
// data through an evaluator that keeps every series' whole window gives the same alert
// events and recorded samples, Tick by Tick.
TEST_F(EvaluatorTest, TheShortWindowOfUnreadSeriesChangesNoAnswer) {
  Write("rules.yml", R"(
groups:
  - name: a
    interval: 5s
    rules:
      - record: job:req:rate1m
        expr: sum by (job) (rate(req_total[1m]))
      - record: job:req:max
        expr: max by (job) (req_total)
      - alert: Spiky
        expr: rate(req_total[30s]) > 2
        for: 10s
  - name: b
    interval: 5s
    rules:
      - alert: RateHigh
        expr: job:req:rate1m > 3
        for: 15s
        annotations: {summary: "{{ $value }}"}
      - record: job:req:rate1m:per_up
        expr: job:req:rate1m / on (job) group_left sum by (job) (up)
)");
  EvaluatorOptions whole;
  whole.min_retention = absl::Hours(1);
  Evaluator short_window(EvaluatorOptions{}), whole_window(whole);
  ASSERT_TRUE(short_window.LoadRules(Config(), 0).ok());
  ASSERT_TRUE(whole_window.LoadRules(Config(), 0).ok());
  std::mt19937 rng(11);
  std::vector<double> counters(6, 0);
  int alerts = 0;
  for (TimestampMs t = 1000; t <= 400'000; t += 1000) {
    std::vector<codec::DecodedSeries> batch;
    for (size_t i = 0; i < counters.size(); ++i) {
      const std::string job = i < 3 ? "api" : "db";
      const std::string instance = "h:" + std::to_string(i);
      counters[i] = rng() % 97 == 0 ? 0 : counters[i] + static_cast<double>(rng() % 7);
      batch.push_back(
          {labels::Labels({{"__name__", "req_total"}, {"job", job}, {"instance", instance}}),
           {{t, counters[i]}}});
      batch.push_back(
          {labels::Labels({{"__name__", "up"}, {"job", job}, {"instance", instance}}), {{t, 1}}});
      batch.push_back(  // read by no rule
          {labels::Labels({{"__name__", "noise"}, {"instance", instance}}),
           {{t, static_cast<double>(rng() % 1000)}}});
    }
    short_window.OnSamples(batch);
    whole_window.OnSamples(batch);
    TickOutput a = short_window.Tick(t + 1), b = whole_window.Tick(t + 1);
    ASSERT_EQ(Sorted(a.alerts), Sorted(b.alerts)) << "at " << t;
    ASSERT_EQ(Sorted(a.recorded), Sorted(b.recorded)) << "at " << t;
    alerts += a.alerts.alerts_size();
  }
  EXPECT_GT(alerts, 0);  // the rules fired: the comparison covered alerts, not only silence
  EXPECT_LT(short_window.head().num_samples(), whole_window.head().num_samples());
}

// A recording that a rule reads, here only through a regex on __name__, keeps the whole
// window; so does what a later group reads.
TEST_F(EvaluatorTest, ARecordingARuleReadsKeepsItsWindow) {
  Write("rules.yml", R"(
groups:
  - name: record
    interval: 10s
    rules:
      - record: job:up:copy
        expr: up
  - name: alert
    interval: 10s
    rules:
      - alert: Flapping
        expr: changes({__name__=~"job:up:.*"}[2m]) > 5
)");
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  for (TimestampMs t = 0; t <= 200'000; t += 1000) {
    if (t % 5000 == 0) Up(e, t, 1);
    e.Tick(t);
  }
  auto m = labels::Matcher::Create(labels::MatchType::kEqual, "__name__", "job:up:copy");
  std::vector<tsdb::Point> p;
  for (const tsdb::MemSeries* s : e.head().Select({*m})) s->Decode(&p);
  ASSERT_FALSE(p.empty());
  EXPECT_LT(p.front().t, 10'000);  // the first recording: the window is 5 min and more
}

// The cache of which groups read a series forgets the series the head drops, so series
// churn (pods replaced during a rollout) does not grow it until the next reload.
TEST_F(EvaluatorTest, TheReaderCacheForgetsDroppedSeries) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  e.OnSamples({codec::DecodedSeries{labels::Labels({{"__name__", "gone"}}), {{0, 1}}}});
  for (TimestampMs t = 0; t <= 400'000; t += 1000) {
    if (t % 5000 == 0) Up(e, t, 1);
    e.Tick(t);
    if (t == 300'000) EXPECT_EQ(e.readers_cached(), 3u);  // up, job:up:copy, gone
  }
  // `gone` left the window (its one sample older than the retention) and the cache.
  EXPECT_EQ(e.head().num_series(), 2u);
  EXPECT_EQ(e.readers_cached(), 2u);
}

// A malformed batch from the bus is rejected whole: not one of its series is appended.
TEST_F(EvaluatorTest, AMalformedBatchAppendsNothing) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "memory_store"}}), 1000, 1);
  v1::SampleBatch batch = b.Take();
  batch.add_series()->add_label_refs(1);  // odd: the second series is bad
  EXPECT_FALSE(e.OnSampleBatch(batch).ok());
  EXPECT_EQ(e.head().num_series(), 0u);
  batch.mutable_series()->RemoveLast();
  absl::StatusOr<size_t> n = e.OnSampleBatch(batch);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(e.head().num_series(), 1u);
}

TEST_F(EvaluatorTest, LaterRulesReadEarlierRecordingsOfTheSameEvaluation) {
  Write("rules.yml",
        "groups:\n  - name: g\n    interval: 10s\n    rules:\n"
        "      - record: job:up:sum\n        expr: sum(up)\n"
        "      - alert: AllDown\n        expr: job:up:sum == 0\n");
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  Up(e, 0, 0);
  // The first evaluation already sees the recorded series: the alert fires at once
  // (for: 0), as in Prometheus, not one interval later.
  std::vector<v1::AlertEvent> events;
  TimestampMs first_evaluation = 0;
  for (TimestampMs t = 0; t <= 30'000 && events.empty(); t += 1000) {
    TickOutput out = e.Tick(t);
    if (first_evaluation == 0) first_evaluation = e.groups()[0]->last_evaluation();
    for (const auto& a : out.alerts.alerts()) events.push_back(a);
  }
  ASSERT_FALSE(events.empty());
  ASSERT_NE(first_evaluation, 0);
  EXPECT_EQ(events[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(events[0].active_at_ms(), first_evaluation);
}

// As Prometheus 2.42's group loop: a timer more than an interval late evaluates at the
// latest slot that has come and counts the ones in between as missed, rather than
// evaluating at the oldest slot and catching up from there.
TEST_F(EvaluatorTest, ALateTimerEvaluatesAtTheLatestSlotAndCountsTheMissedOnes) {
  EvaluatorOptions options{absl::Minutes(1), "http://ev"};
  options.event_driven = false;
  Evaluator e(options);
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  const TimestampMs first = e.groups()[0]->NextEvaluation(0);
  TickOutput out = e.Tick(first);
  EXPECT_EQ(out.timer_evaluations, 1);
  EXPECT_TRUE(out.missed_iterations.empty());

  // Paused for 35.5 s: the slots at +10 s and +20 s are missed, +30 s is evaluated.
  out = e.Tick(first + 35'500);
  EXPECT_EQ(out.timer_evaluations, 1);
  EXPECT_EQ(e.groups()[0]->last_evaluation(), first + 30'000);
  ASSERT_EQ(out.missed_iterations.size(), 1u);
  EXPECT_EQ(out.missed_iterations[0].first, e.groups()[0].get());
  EXPECT_EQ(out.missed_iterations[0].second, 2);

  // Back on the grid: nothing more before +40 s, then that slot, nothing missed.
  EXPECT_EQ(e.Tick(first + 39'999).timer_evaluations, 0);
  out = e.Tick(first + 40'000);
  EXPECT_EQ(out.timer_evaluations, 1);
  EXPECT_TRUE(out.missed_iterations.empty());
  EXPECT_EQ(e.groups()[0]->last_evaluation(), first + 40'000);
}

// Which selectors a reload leaves without the history their rules read: new ones (the head
// kept only the newest samples of what they match), or all when the window grew.
TEST_F(EvaluatorTest, AReloadNamesTheSelectorsLackingHistory) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  EXPECT_TRUE(e.SelectorsLackingHistory().empty());  // a start backfills everything

  auto rules_reading_errors_over = [&](const std::string& range) {
    Write("rules.yml", R"(
groups:
  - name: availability
    interval: 10s
    rules:
      - record: job:up:copy
        expr: up
      - record: errors:rate
        expr: rate(errors_total[)" +
                           range + "])\n");
  };
  rules_reading_errors_over("1m");
  ASSERT_TRUE(e.LoadRules(Config(), 1000).ok());
  ASSERT_EQ(e.SelectorsLackingHistory().size(), 1u);
  EXPECT_EQ(labels::MatchersKey(e.SelectorsLackingHistory()[0]),
            labels::MatchersKey(promql::ExtractSelectors(**promql::ParseExpr("errors_total"))[0]));

  ASSERT_TRUE(e.LoadRules(Config(), 2000).ok());  // the same rules
  EXPECT_TRUE(e.SelectorsLackingHistory().empty());

  rules_reading_errors_over("1h");
  ASSERT_TRUE(e.LoadRules(Config(), 3000).ok());  // a longer window: every selector
  EXPECT_EQ(e.SelectorsLackingHistory().size(), 2u);
}

// A configuration without rule groups reads nothing, so the head keeps only the newest
// samples of every series: the reload that brings rules lists all their selectors.
TEST_F(EvaluatorTest, AReloadAfterNoRulesNamesEverySelector) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  Write("empty.yml", "global: {evaluation_interval: 10s}\n");
  auto empty = promconfig::LoadPrometheusConfig(dir_ + "/empty.yml");
  ASSERT_TRUE(empty.ok()) << empty.status();
  ASSERT_TRUE(e.LoadRules(*empty, 0).ok());
  ASSERT_TRUE(e.LoadRules(Config(), 1000).ok());
  EXPECT_EQ(e.SelectorsLackingHistory().size(), 2u);  // up{job="memory_store"}, up
}

// In event-driven mode the fallback timer after a data evaluation is off the group's grid;
// when it comes late, a grid slot that came since is the later one, and is evaluated.
TEST_F(EvaluatorTest, ALateFallbackTimerEvaluatesAtTheLatestGridSlot) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  const TimestampMs first = e.groups()[0]->NextEvaluation(0);
  ASSERT_EQ(e.Tick(first).timer_evaluations, 1);
  Up(e, first + 2000, 1);
  ASSERT_EQ(e.Tick(first + 2001).round_evaluations, 1);  // fallback at +13001
  TickOutput out = e.Tick(first + 21'500);               // the +20 s slot has come too
  EXPECT_EQ(out.timer_evaluations, 1);
  EXPECT_TRUE(out.missed_iterations.empty());
  EXPECT_EQ(e.groups()[0]->last_evaluation(), first + 20'000);
}

// Slots that came while a reload's backfill held the loop are skipped, not evaluated late
// and not counted as missed: the group starts at its next slot.
TEST_F(EvaluatorTest, TimersPastAreSkippedToTheNextSlot) {
  EvaluatorOptions options{absl::Minutes(1), "http://ev"};
  options.event_driven = false;
  Evaluator e(options);
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  const TimestampMs first = e.groups()[0]->NextEvaluation(0);
  e.SkipTimersPast(first + 25'000);
  EXPECT_EQ(e.Tick(first + 25'000).timer_evaluations, 0);
  TickOutput out = e.Tick(first + 30'000);
  EXPECT_EQ(out.timer_evaluations, 1);
  EXPECT_TRUE(out.missed_iterations.empty());
}

// History inserted after a reload goes in front of what the head holds, and is not data
// that makes a group due.
TEST_F(EvaluatorTest, InsertedHistoryGoesInFrontAndTriggersNothing) {
  Evaluator e(EvaluatorOptions{absl::Minutes(1), "http://ev"});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  labels::Labels up({{"__name__", "up"}, {"job", "memory_store"}, {"instance", "h:1"}});
  Up(e, 50'000, 1);
  TickOutput out = e.Tick(50'001);
  std::vector<codec::DecodedSeries> history{{up, {{20'000, 1}, {30'000, 1}, {50'000, 7}}}};
  EXPECT_EQ(e.InsertHistory(history), 2u);
  out = e.Tick(50'002);
  EXPECT_EQ(out.round_evaluations + out.early_evaluations, 0);
  EXPECT_EQ(e.head().num_samples(), 3u);
}

TEST_F(EvaluatorTest, BadRuleFileKeepsOldRules) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  Write("rules.yml", "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up ==\n");
  absl::Status s = e.LoadRules(Config(), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("rules.yml: 5:15:"), std::string::npos) << s;
  EXPECT_EQ(e.rule_count(), 2u);
}

// --- event-driven evaluation -----------------------------------------------------------

codec::DecodedSeries UpOf(const std::string& instance, TimestampMs t, double v) {
  return codec::DecodedSeries{
      labels::Labels({{"__name__", "up"}, {"job", "memory_store"}, {"instance", instance}}),
      {{t, v}}};
}

class EventDrivenTest : public EvaluatorTest {
 protected:
  // Rules are loaded just before the first sample: each group's first timer slot is
  // somewhere in the next interval (its offset hashes the rule file's temporary path), so
  // it cannot fall inside the few milliseconds before the first data-triggered
  // evaluation, which then moves the timer a whole interval on.
  static constexpr TimestampMs kLoadedAt = 1000;

  void SetUp() override {
    EvaluatorTest::SetUp();
    // A long interval, so the timer stays out of the way unless a test waits for it.
    Write("rules.yml", R"(
groups:
  - name: availability
    interval: 1m
    rules:
      - alert: Down
        expr: up == 0
)");
  }

  // Loads the rules and completes a first round: a and b report at 1000, evaluated at 1001.
  void FirstRound(Evaluator& e) {
    ASSERT_TRUE(e.LoadRules(Config(), kLoadedAt).ok());
    e.OnSamples({UpOf("a:1", 1000, 1), UpOf("b:1", 1000, 1)});
    EXPECT_EQ(e.Tick(1001).round_evaluations, 1);
  }
  // A group waits for its whole round: no early evaluations.
  static EvaluatorOptions RoundsOnly() {
    EvaluatorOptions o;
    o.early_evaluation_budget = 0;
    return o;
  }
  // An evaluation hook that says every evaluation took `ms`.
  static Evaluator::EvaluationHook Costing(double ms) {
    return [ms](const rules::Group&, const std::function<void()>& evaluate) {
      evaluate();
      return absl::Milliseconds(ms);
    };
  }
};

TEST_F(EventDrivenTest, EvaluatesOnceEverySeriesItReadsHasAFreshSample) {
  Evaluator e(RoundsOnly());
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  EXPECT_EQ(e.groups()[0]->last_evaluation(), 1001);
  // Only a has reported in this round: b's sample is still awaited.
  e.OnSamples({UpOf("a:1", 6000, 1)});
  EXPECT_EQ(e.Tick(6001).round_evaluations, 0);
  EXPECT_EQ(e.NextDeadline(), e.groups()[0]->last_evaluation() + 61'000);
  e.OnSamples({UpOf("b:1", 6200, 0)});
  EXPECT_EQ(e.NextDeadline(), 1002);  // due now
  TickOutput out = e.Tick(6201);
  EXPECT_EQ(out.round_evaluations, 1);
  ASSERT_EQ(out.alerts.alerts_size(), 1);
  EXPECT_EQ(out.data_triggered_alerts, 1);
  EXPECT_EQ(out.alerts.alerts(0).active_at_ms(), 6201);
}

TEST_F(EventDrivenTest, TheEvaluationHookWrapsEveryEvaluation) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), kLoadedAt).ok());
  std::vector<std::pair<std::string, TimestampMs>> seen;  // group, last_evaluation after
  e.set_evaluation_hook([&](const rules::Group& g, const std::function<void()>& evaluate) {
    TimestampMs before = g.last_evaluation();
    evaluate();
    EXPECT_NE(g.last_evaluation(), before);
    seen.emplace_back(g.name(), g.last_evaluation());
    return absl::ZeroDuration();
  });
  e.OnSamples({UpOf("a:1", 1000, 0)});
  TickOutput out = e.Tick(1001);  // by data
  EXPECT_EQ(out.alerts.alerts_size(), 1);
  e.Tick(1002);  // nothing due
  TimestampMs timer = *e.NextDeadline();
  e.Tick(timer);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, TimestampMs>>{{"availability", 1001},
                                                                    {"availability", timer}}));
}

TEST_F(EventDrivenTest, AStalenessMarkerStopsTheWaitForThatSeries) {
  Evaluator e(RoundsOnly());
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  e.OnSamples({UpOf("b:1", 5000, codec::StaleNaN())});  // b's target went away
  EXPECT_EQ(e.Tick(5001).round_evaluations, 0);         // a is still awaited
  e.OnSamples({UpOf("a:1", 6000, 0)});
  TickOutput out = e.Tick(6001);
  EXPECT_EQ(out.round_evaluations, 1);
  EXPECT_EQ(out.alerts.alerts_size(), 1);
}

TEST_F(EventDrivenTest, TheTimerEvaluatesWhenASeriesNeverComesBack) {
  Evaluator e(RoundsOnly());
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  int timer = 0, data = 0;
  // Up to one interval and a second after the last evaluation (the timer's next slot after
  // that is aligned to the group's hashed offset, so the loop stops there).
  for (TimestampMs t = 2000; t <= 62'000; t += 1000) {
    e.OnSamples({UpOf("a:1", t, 0)});  // b is silent (no staleness marker either)
    TickOutput out = e.Tick(t + 1);
    timer += out.timer_evaluations;
    data += out.round_evaluations;
  }
  EXPECT_EQ(data, 0);
  EXPECT_EQ(timer, 1);  // at 62001: the fallback, an interval and 1 s after 1001
  EXPECT_EQ(e.groups()[0]->last_evaluation(), 62'001);
  EXPECT_EQ(e.ActiveAlerts(62'001).size(), 1u);
}

// Rounds arrive a little after one interval (scrapes jitter): each is evaluated once, by
// its data, not first by the timer without its data and then again by the data.
TEST_F(EventDrivenTest, ARoundArrivingJustAfterTheIntervalIsEvaluatedOnce) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), kLoadedAt).ok());
  int timer = 0, data = 0;
  for (int round = 0; round < 5; ++round) {
    const TimestampMs t = 1000 + round * 60'004;  // 4 ms later than one interval each time
    e.OnSamples({UpOf("a:1", t, 1), UpOf("b:1", t, 1)});
    TickOutput out = e.Tick(t + 1);
    timer += out.timer_evaluations;
    data += out.round_evaluations;
  }
  EXPECT_EQ(data, 5);
  EXPECT_EQ(timer, 0);
}

// One target's series need not wait for the group's other targets: fresh data for some of
// the series a group reads evaluates it early, at the arrival time.
TEST_F(EventDrivenTest, OneTargetsDataEvaluatesTheGroupEarly) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  e.OnSamples({UpOf("a:1", 6000, 0)});  // a is down; b has not reported in this round
  EXPECT_EQ(e.NextDeadline(), 1002);    // due now
  TickOutput out = e.Tick(6001);
  EXPECT_EQ(out.early_evaluations, 1);
  EXPECT_EQ(out.round_evaluations, 0);
  ASSERT_EQ(out.alerts.alerts_size(), 1);
  EXPECT_EQ(out.data_triggered_alerts, 1);
  EXPECT_EQ(out.alerts.alerts(0).active_at_ms(), 6001);
  EXPECT_EQ(out.alerts.alerts(0).state(), v1::ALERT_STATE_FIRING);
  // b's sample completes the round the early evaluation left open.
  e.OnSamples({UpOf("b:1", 6700, 1)});
  out = e.Tick(6701);
  EXPECT_EQ(out.round_evaluations, 1);
  EXPECT_EQ(e.ActiveAlerts(6701).size(), 1u);
  // Nothing new: nothing due before the timer.
  out = e.Tick(6800);
  EXPECT_EQ(out.early_evaluations + out.round_evaluations, 0);
  EXPECT_GT(*e.NextDeadline(), 60'000);
}

// With the budget spent, the arrival that completes a round an early evaluation left open
// is still evaluated at once.
TEST_F(EventDrivenTest, TheArrivalThatCompletesARoundIsEvaluatedWhateverTheBudget) {
  Evaluator e(EvaluatorOptions{});
  e.set_evaluation_hook(Costing(90));
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  e.OnSamples({UpOf("a:1", 2000, 0)});
  EXPECT_EQ(e.Tick(2001).early_evaluations, 1);  // 100 -> 10 ms
  e.OnSamples({UpOf("b:1", 2010, 1)});
  TickOutput out = e.Tick(2011);  // 11 ms < 90: not early, but the round is complete
  EXPECT_EQ(out.round_evaluations, 1);
  EXPECT_EQ(out.data_wait_ms, 0);
}

// An early evaluation that took far longer than its group's last one (the process held
// up) is charged at most what the budget holds, so early evaluations resume within two
// refills.
TEST_F(EventDrivenTest, OneSlowEarlyEvaluationStopsEarlyEvaluationsOnlyForAWhile) {
  Evaluator e(EvaluatorOptions{});
  double cost = 10;
  e.set_evaluation_hook([&cost](const rules::Group&, const std::function<void()>& evaluate) {
    evaluate();
    return absl::Milliseconds(cost);
  });
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  cost = 5000;  // the next one is held up
  e.OnSamples({UpOf("a:1", 2000, 1)});
  EXPECT_EQ(e.Tick(2001).early_evaluations, 1);  // 100 -> -100 ms, not -4900
  cost = 10;
  e.OnSamples({UpOf("b:1", 3000, 1)});
  EXPECT_EQ(e.Tick(3001).round_evaluations, 1);  // the group's cost is 10 ms again
  e.OnSamples({UpOf("a:1", 3050, 0)});
  EXPECT_EQ(e.Tick(3051).early_evaluations, 0);  // -100 ms at 2001 + 0.1/ms: 5 ms < 10
  // 10 ms at 3101. (Charged the whole 5000 ms, it would be 49 s later.)
  TimestampMs due = *e.NextDeadline();
  EXPECT_LE(due, 3102);
  TickOutput out = e.Tick(due);
  EXPECT_EQ(out.early_evaluations, 1);
  EXPECT_EQ(out.data_wait_ms, due - 3051);  // waited for the budget since its data's Tick
}

// The app's loop sleeps until NextDeadline() and then calls Tick(): whenever the deadline
// has come, the Tick must do something or move the deadline on, or the loop would spin.
// Random arrivals of three targets' samples, random evaluation times, 1 ms steps.
TEST_F(EventDrivenTest, ADeadlineThatHasComeIsNeverAnEmptyTick) {
  Write("rules.yml", R"(
groups:
  - name: one
    interval: 5s
    rules:
      - alert: Down
        expr: up == 0
  - name: two
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: AllDown
        expr: job:up:sum == 0
)");
  for (double budget : {0.1, 0.001, 1.0}) {
    EvaluatorOptions o;
    o.early_evaluation_budget = budget;
    Evaluator e(o);
    uint64_t rng = 88172645463325252ull;
    auto next = [&rng] {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      return rng;
    };
    e.set_evaluation_hook([&](const rules::Group&, const std::function<void()>& evaluate) {
      evaluate();
      return absl::Microseconds(static_cast<int64_t>(next() % 200'000));  // 0-200 ms
    });
    ASSERT_TRUE(e.LoadRules(Config(), kLoadedAt).ok());
    int evaluations = 0;
    for (TimestampMs t = kLoadedAt; t < kLoadedAt + 30'000; ++t) {
      for (const char* target : {"a:1", "b:1", "c:1"}) {
        if (next() % 700 == 0) e.OnSamples({UpOf(target, t, static_cast<double>(next() % 2))});
      }
      const std::optional<TimestampMs> before = e.NextDeadline();
      TickOutput out = e.Tick(t);
      const int n = out.timer_evaluations + out.round_evaluations + out.early_evaluations;
      evaluations += n;
      if (before && *before <= t && n == 0) {
        ASSERT_GT(*e.NextDeadline(), t) << "budget " << budget << " at " << t;
      }
    }
    EXPECT_GT(evaluations, 30) << "budget " << budget;
  }
}

// An early evaluation needs the budget (refilled at early_evaluation_budget, 0.1: 1 ms of
// evaluation per 10 ms, holding 100 ms) to hold its group's last evaluation time and is
// charged what it took; when the budget is short, the group is due once it has refilled.
TEST_F(EventDrivenTest, EarlyEvaluationsStayWithinTheirBudget) {
  Evaluator e(EvaluatorOptions{});
  e.set_evaluation_hook(Costing(40));
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  e.OnSamples({UpOf("a:1", 1100, 1)});
  EXPECT_EQ(e.Tick(1101).early_evaluations, 1);  // 100 -> 60 ms
  e.OnSamples({UpOf("a:1", 1110, 1)});           // (b's would complete the round: free)
  EXPECT_EQ(e.Tick(1111).early_evaluations, 1);  // 61 -> 21 ms
  e.OnSamples({UpOf("a:1", 1120, 0)});
  EXPECT_EQ(e.Tick(1121).early_evaluations, 0);  // 22 ms < 40
  EXPECT_EQ(e.NextDeadline(), 1121 + 180);       // 18 ms more at 0.1 ms per ms
  EXPECT_EQ(e.Tick(1300).early_evaluations, 0);
  TickOutput out = e.Tick(1301);
  EXPECT_EQ(out.early_evaluations, 1);
  ASSERT_EQ(out.alerts.alerts_size(), 1);  // a's sample of 1120, evaluated at 1301
  EXPECT_EQ(out.alerts.alerts(0).active_at_ms(), 1301);
  // A whole round is evaluated at once even with the budget spent.
  e.OnSamples({UpOf("a:1", 1400, 0), UpOf("b:1", 1400, 1)});
  EXPECT_EQ(e.Tick(1401).round_evaluations, 1);
}

// A group that costs more than the budget holds (here 150 ms of 100) always waits for its
// whole round, as with no budget at all.
TEST_F(EventDrivenTest, AGroupCostingMoreThanTheBudgetHoldsWaitsForItsRound) {
  Evaluator e(EvaluatorOptions{});
  e.set_evaluation_hook(Costing(150));
  ASSERT_NO_FATAL_FAILURE(FirstRound(e));
  e.OnSamples({UpOf("a:1", 6000, 0)});
  EXPECT_EQ(e.Tick(6001).early_evaluations, 0);
  EXPECT_GT(*e.NextDeadline(), 60'000);  // only the timer
  EXPECT_EQ(e.Tick(30'000).early_evaluations, 0);
  e.OnSamples({UpOf("b:1", 30'100, 1)});
  TickOutput out = e.Tick(30'101);
  EXPECT_EQ(out.round_evaluations, 1);
  EXPECT_EQ(out.alerts.alerts_size(), 1);
}

TEST_F(EventDrivenTest, ARecordingGroupTriggersTheLaterGroupThatReadsIt) {
  Write("rules.yml", R"(
groups:
  - name: record
    interval: 1m
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
  - name: alert
    interval: 1m
    rules:
      - alert: AllDown
        expr: job:up:sum == 0
)");
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), kLoadedAt).ok());
  e.OnSamples({UpOf("a:1", 1000, 0)});
  TickOutput out = e.Tick(1001);
  EXPECT_EQ(out.round_evaluations, 2);  // both groups, in one Tick
  ASSERT_EQ(out.alerts.alerts_size(), 1);
  EXPECT_EQ(out.alerts.alerts(0).labels(0).value(), "AllDown");
  // Nothing loops: no new data, no evaluation.
  EXPECT_EQ(e.Tick(2000).round_evaluations, 0);
}

// The same samples through interval and event-driven evaluation, delivered at the group's
// own evaluation slots: every alert event and every recorded sample is identical.
TEST_F(EvaluatorTest, EventDrivenAndIntervalModesAgreeOnTheSameData) {
  Write("rules.yml", R"(
groups:
  - name: rollout
    interval: 10s
    rules:
      - record: job:errors:rate1m
        expr: sum by (job) (rate(errors_total[1m]))
      - alert: ErrorsHigh
        expr: job:errors:rate1m > 0.5
        for: 30s
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} errors at {{ $value | humanize }}/s"}
      - alert: Down
        expr: up == 0
        for: 20s
)");
  EvaluatorOptions interval_opts;
  interval_opts.event_driven = false;
  Evaluator interval(interval_opts);
  Evaluator event(EvaluatorOptions{});
  ASSERT_TRUE(interval.LoadRules(Config(), 0).ok());
  ASSERT_TRUE(event.LoadRules(Config(), 0).ok());
  TimestampMs slot = *interval.NextDeadline();
  double errors = 0;
  std::vector<std::string> got[2];
  int by_data[2] = {0, 0}, by_timer[2] = {0, 0};
  for (int round = 0; round < 60; ++round) {
    TimestampMs t = slot + round * 10'000;
    errors += round >= 10 && round < 30 ? 10 : 1;  // a burst of errors, then calm
    double up = round >= 35 && round < 45 ? 0 : 1;
    std::vector<codec::DecodedSeries> batch = {
        {labels::Labels({{"__name__", "errors_total"}, {"job", "api"}, {"instance", "x:1"}}),
         {{t, errors}}},
        UpOf("x:1", t, up)};
    Evaluator* both[2] = {&interval, &event};
    for (int m = 0; m < 2; ++m) {
      both[m]->OnSamples(batch);
      TickOutput out = both[m]->Tick(t);
      by_data[m] += out.round_evaluations + out.early_evaluations;
      by_timer[m] += out.timer_evaluations;
      for (std::string& line : Lines(out.alerts)) got[m].push_back(std::move(line));
      for (std::string& line : Lines(out.recorded)) got[m].push_back(std::move(line));
    }
  }
  // Each mode evaluated as it says: the interval one on its timer only, the event-driven
  // one on every round's data (none left to its fallback timer).
  EXPECT_EQ(by_data[0], 0);
  EXPECT_EQ(by_timer[0], 60);
  EXPECT_EQ(by_data[1], 60);
  EXPECT_EQ(by_timer[1], 0);
  ASSERT_EQ(got[0].size(), got[1].size());
  for (size_t i = 0; i < got[0].size(); ++i) ASSERT_EQ(got[0][i], got[1][i]) << "at " << i;
  auto count = [&](const char* what) {
    return std::count_if(got[1].begin(), got[1].end(),
                         [&](const std::string& s) { return s.find(what) != std::string::npos; });
  };
  EXPECT_GT(count("ALERT_STATE_FIRING"), 0);
  EXPECT_GT(count("ALERT_STATE_INACTIVE"), 0);
}

// Samples scraped at offsets that do not match the group's slots: the event-driven
// evaluator goes through the same alert states, never later than the interval one.
TEST_F(EvaluatorTest, EventDrivenFiresNoLaterThanIntervalWithTheSameStates) {
  Write("rules.yml", R"(
groups:
  - name: availability
    interval: 30s
    rules:
      - alert: Down
        expr: up == 0
        for: 1m
        annotations: {summary: "{{ $labels.instance }} down"}
)");
  EvaluatorOptions interval_opts;
  interval_opts.event_driven = false;
  Evaluator interval(interval_opts);
  Evaluator event(EvaluatorOptions{});
  ASSERT_TRUE(interval.LoadRules(Config(), 0).ok());
  ASSERT_TRUE(event.LoadRules(Config(), 0).ok());
  struct Seen {
    std::vector<std::pair<v1::AlertState, std::string>> states;
    TimestampMs fired = 0;
    int by_data = 0;
  } seen[2];
  Evaluator* both[2] = {&interval, &event};
  for (TimestampMs t = 0; t <= 600'000; t += 100) {
    for (int m = 0; m < 2; ++m) {
      if (t % 5000 == 1700) {  // scraped every 5 s at +1.7 s
        both[m]->OnSamples({UpOf("x:1", t - 3, t >= 100'000 && t < 400'000 ? 0 : 1)});
      }
      TickOutput out = both[m]->Tick(t);
      seen[m].by_data += out.round_evaluations + out.early_evaluations;
      for (const auto& a : out.alerts.alerts()) {
        if (!seen[m].states.empty() && seen[m].states.back().first == a.state()) continue;
        seen[m].states.emplace_back(a.state(), a.annotations(0).value());
        if (a.state() == v1::ALERT_STATE_FIRING) seen[m].fired = a.fired_at_ms();
      }
    }
  }
  ASSERT_EQ(seen[0].states.size(), 3u);  // pending, firing, resolved
  EXPECT_EQ(seen[0].states, seen[1].states);
  // Event-driven: evaluated on each scrape's arrival (120 in 600 s), so it fires at the
  // first scrape a minute after the first `up == 0`, before the 30 s timer gets there.
  EXPECT_EQ(seen[0].by_data, 0);
  EXPECT_EQ(seen[1].by_data, 120);
  EXPECT_EQ(seen[1].fired, 161'700);
  EXPECT_LT(seen[1].fired, seen[0].fired);
}

// --- restart safety ------------------------------------------------------------------------

TEST_F(EvaluatorTest, RestoredPendingAlertKeepsItsForProgress) {
  Evaluator before(EvaluatorOptions{});
  ASSERT_TRUE(before.LoadRules(Config(), 0).ok());
  auto events = Run(before, 0, 20'000, 0);  // down since 0: pending, `for` is 30 s
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].state(), v1::ALERT_STATE_PENDING);
  TimestampMs active_at = events[0].active_at_ms();
  ASSERT_TRUE(before.alerts_changed());
  std::string path = dir_ + "/state/alerts.state";
  ASSERT_TRUE(WriteStateFile(path, before.SnapshotAlerts(20'000)).ok());

  // A new process: same rules, the state file, an empty window.
  auto snap = ReadStateFile(path);
  ASSERT_TRUE(snap.ok() && snap->has_value()) << snap.status();
  Evaluator after(EvaluatorOptions{});
  ASSERT_TRUE(after.LoadRules(Config(), 25'000).ok());
  EXPECT_EQ(after.RestoreAlerts(**snap, 25'000), 1u);
  EXPECT_FALSE(after.alerts_changed());
  events = Run(after, 25'000, 60'000, 0);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(events[0].active_at_ms(), active_at);  // `for` did not start over
  // At the first evaluation (each scrape, every 5 s) once `for` has passed.
  EXPECT_GE(events[0].fired_at_ms(), active_at + 30'000);
  EXPECT_LT(events[0].fired_at_ms(), active_at + 30'000 + 5'000);
}

// keep_firing_for's progress survives a restart: an alert kept firing since 50 s resolves
// 10 minutes after that, not 10 minutes after the restart.
TEST_F(EvaluatorTest, RestoredAlertKeepsItsKeepFiringForProgress) {
  Write("rules.yml", R"(
groups:
  - name: g
    interval: 5s
    rules:
      - alert: MemoryStoreServiceDown
        expr: up{job="memory_store"} == 0
        keep_firing_for: 10m
)");
  Evaluator before(EvaluatorOptions{});
  ASSERT_TRUE(before.LoadRules(Config(), 0).ok());
  Run(before, 0, 45'000, 0);       // down: firing
  Run(before, 50'000, 70'000, 1);  // up again since 50 s: kept firing
  const v1::AlertStateSnapshot snap = before.SnapshotAlerts(70'000);
  ASSERT_EQ(snap.alerts_size(), 1);
  const int64_t since = snap.alerts(0).keep_firing_since_ms();
  ASSERT_GE(since, 50'000);
  ASSERT_LT(since, 55'000);

  Evaluator after(EvaluatorOptions{});
  ASSERT_TRUE(after.LoadRules(Config(), 75'000).ok());
  ASSERT_EQ(after.RestoreAlerts(snap, 75'000), 1u);
  TimestampMs resolved = 0;
  for (const v1::AlertEvent& e : Run(after, 75'000, 1'200'000, 1)) {
    if (e.state() == v1::ALERT_STATE_INACTIVE && resolved == 0) resolved = e.resolved_at_ms();
  }
  EXPECT_GE(resolved, since + 600'000);
  EXPECT_LT(resolved, since + 600'000 + 5'000);  // at the first evaluation after it
}

TEST_F(EvaluatorTest, RestoredFiringAlertIsHeldWhileTheWindowRefills) {
  Write("rules.yml", R"(
groups:
  - name: g
    interval: 10s
    rules:
      - alert: ErrorsHigh
        expr: rate(errors_total[1m]) > 1
)");
  Evaluator before(EvaluatorOptions{});
  ASSERT_TRUE(before.LoadRules(Config(), 0).ok());
  labels::Labels series({{"__name__", "errors_total"}, {"job", "api"}});
  for (TimestampMs t = 0; t <= 120'000; t += 5000) {
    before.OnSamples({{series, {{t, t / 1000.0 * 10}}}});
    before.Tick(t);
  }
  ASSERT_EQ(before.ActiveAlerts(120'000).size(), 1u);
  ASSERT_EQ(before.ActiveAlerts(120'000)[0].state(), v1::ALERT_STATE_FIRING);
  v1::AlertStateSnapshot snap = before.SnapshotAlerts(120'000);

  Evaluator after(EvaluatorOptions{});
  ASSERT_TRUE(after.LoadRules(Config(), 130'000).ok());
  ASSERT_EQ(after.RestoreAlerts(snap, 130'000), 1u);
  // The rate needs two samples in its 1m window: until the window has refilled, the
  // expression returns nothing, and the alert must not resolve for that.
  std::vector<v1::AlertEvent> events;
  for (TimestampMs t = 130'000; t <= 300'000; t += 5000) {
    after.OnSamples({{series, {{t, t / 1000.0 * 10}}}});
    TickOutput out = after.Tick(t);  // named: a range-for over a temporary's member dangles
    for (const auto& a : out.alerts.alerts()) events.push_back(a);
  }
  for (const auto& a : events) EXPECT_EQ(a.state(), v1::ALERT_STATE_FIRING) << a.DebugString();
  EXPECT_EQ(after.ActiveAlerts(300'000)[0].fired_at_ms(),
            before.ActiveAlerts(120'000)[0].fired_at_ms());
  // Once the window is full, absence means resolution again.
  for (TimestampMs t = 305'000; t <= 400'000; t += 5000) {
    after.OnSamples({{series, {{t, 3000}}}});  // flat: rate 0
    TickOutput out = after.Tick(t);  // named: a range-for over a temporary's member dangles
    for (const auto& a : out.alerts.alerts()) events.push_back(a);
  }
  EXPECT_EQ(events.back().state(), v1::ALERT_STATE_INACTIVE);
}

TEST_F(EvaluatorTest, ReloadKeepsAlertStateAndMarksRemovedRulesStale) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  auto events = Run(e, 0, 40'000, 0);
  ASSERT_EQ(events.back().state(), v1::ALERT_STATE_FIRING);
  TimestampMs fired = events.back().fired_at_ms();
  // The same file again plus a new rule, without the recording rule.
  Write("rules.yml", R"(
groups:
  - name: availability
    interval: 10s
    rules:
      - alert: MemoryStoreServiceDown
        expr: up{job="memory_store"} == 0
        for: 30s
        labels: {severity: P1}
        annotations: {summary: "{{ $labels.job }} is down"}
      - alert: Another
        expr: vector(1) == 0
)");
  ASSERT_TRUE(e.LoadRules(Config(), 41'000).ok());
  TickOutput out = e.Tick(41'500);
  auto recorded = codec::DecodeSampleBatch(out.recorded);
  ASSERT_TRUE(recorded.ok());
  bool stale_copy = false;
  for (const auto& s : *recorded) {
    if (s.labels.Get("__name__") == "job:up:copy") stale_copy = codec::IsStaleNaN(s.points[0].v);
  }
  EXPECT_TRUE(stale_copy);
  ASSERT_EQ(e.ActiveAlerts(42'000).size(), 1u);
  EXPECT_EQ(e.ActiveAlerts(42'000)[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(e.ActiveAlerts(42'000)[0].fired_at_ms(), fired);
}

TEST_F(EvaluatorTest, StateFileThatIsNotOneIsAnError) {
  Write("alerts.state", "this is not a protobuf \xff\xff\xff");
  auto snap = ReadStateFile(dir_ + "/alerts.state");
  EXPECT_FALSE(snap.ok());
  EXPECT_NE(std::string(snap.status().message()).find("alerts.state"), std::string::npos);
  auto none = ReadStateFile(dir_ + "/absent.state");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace vigil::evaluator
