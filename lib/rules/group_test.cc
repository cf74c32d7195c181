#include "lib/rules/group.h"

#include <gtest/gtest.h>

#include "lib/rules/rule_file.h"

namespace vigil::rules {
namespace {

GroupSpec Spec(const std::string& yaml) {
  auto groups = ParseRuleFile("g.yml", yaml);
  EXPECT_TRUE(groups.ok()) << groups.status();
  return groups.ok() ? groups->front() : GroupSpec{};
}

// Answers every query with one sample of `up` = 0.
absl::StatusOr<promql::Vector> Down(const promql::Expr&, TimestampMs) {
  return promql::Vector{promql::Sample{labels::Labels({{"__name__", "up"}, {"job", "db"}}), 0}};
}

// A group's `labels:` go on every rule's output, alerts and recorded series alike; a rule's
// own label of the same name wins.
TEST(GroupTest, GroupLabelsApplyToEveryRule) {
  Group g(Spec("groups:\n"
               "  - name: g\n"
               "    labels: {team: db, severity: low}\n"
               "    rules:\n"
               "      - alert: Down\n"
               "        expr: up == 0\n"
               "        labels: {severity: page}\n"
               "      - record: job:up:copy\n"
               "        expr: up\n"),
          absl::Minutes(1), labels::Labels());
  GroupResult r = g.Eval(1000, Down, GroupEvalOptions{});
  ASSERT_EQ(r.alerts.size(), 1u);
  const Alert& alert = g.alerting(0)->active().at(r.alerts[0].second);
  EXPECT_EQ(alert.labels.Get("team"), "db");
  EXPECT_EQ(alert.labels.Get("severity"), "page");
  bool recorded = false;
  for (const RecordedSample& s : r.recorded) {
    if (s.labels.Get("__name__") != "job:up:copy") continue;
    recorded = true;
    EXPECT_EQ(s.labels.Get("team"), "db");
    EXPECT_EQ(s.labels.Get("severity"), "low");
  }
  EXPECT_TRUE(recorded);
}

// With a clock, the group's evaluation and each rule's are timed (/api/v1/rules
// evaluationTime); without one they stay zero.
TEST(GroupTest, EvaluationTimesWithAClock) {
  Group g(Spec("groups:\n"
               "  - name: g\n"
               "    rules:\n"
               "      - record: a\n"
               "        expr: up\n"
               "      - alert: B\n"
               "        expr: up == 0\n"),
          absl::Minutes(1), labels::Labels());
  g.Eval(1000, Down, GroupEvalOptions{});
  EXPECT_EQ(g.last_duration(), absl::ZeroDuration());
  EXPECT_EQ(g.rule_duration(1), absl::ZeroDuration());
  absl::Time now = absl::UnixEpoch();
  GroupEvalOptions opts;
  opts.clock = [&] { return now += absl::Milliseconds(1); };  // 1 ms per look
  g.Eval(2000, Down, opts);
  EXPECT_EQ(g.rule_duration(0), absl::Milliseconds(1));
  EXPECT_EQ(g.rule_duration(1), absl::Milliseconds(1));
  EXPECT_EQ(g.last_duration(), absl::Milliseconds(5));  // start, 2 looks per rule, end
}

}  // namespace
}  // namespace vigil::rules
