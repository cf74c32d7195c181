#include "services/evaluator/evaluator.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

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

TEST_F(EvaluatorTest, RetentionCoversTheLongestWindowARuleReads) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  EXPECT_EQ(e.retention_ms(), 5 * 60'000 + 60'000);  // lookback + margin
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

TEST_F(EvaluatorTest, BadRuleFileKeepsOldRules) {
  Evaluator e(EvaluatorOptions{});
  ASSERT_TRUE(e.LoadRules(Config(), 0).ok());
  Write("rules.yml", "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up ==\n");
  absl::Status s = e.LoadRules(Config(), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("rules.yml:5:15:"), std::string::npos) << s;
  EXPECT_EQ(e.rule_count(), 2u);
}

}  // namespace
}  // namespace vigil::evaluator
