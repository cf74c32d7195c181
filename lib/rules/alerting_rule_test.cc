#include "lib/rules/alerting_rule.h"

#include <gtest/gtest.h>

#include "lib/promql/parser.h"

namespace vigil::rules {
namespace {

// A query function whose answer the test controls.
struct FakeQuery {
  promql::Vector result;
  QueryFunc Func() {
    return [this](const promql::Expr&, TimestampMs) -> absl::StatusOr<promql::Vector> {
      return result;
    };
  }
};

RuleSpec Spec(absl::Duration for_d, absl::Duration keep = absl::ZeroDuration()) {
  RuleSpec r;
  r.alert = "Down";
  r.expr_text = "up == 0";
  r.expr = std::shared_ptr<const promql::Expr>(std::move(*promql::ParseExpr(r.expr_text)));
  r.for_duration = for_d;
  r.keep_firing_for = keep;
  r.labels = labels::Labels({{"severity", "P1"}});
  r.annotations = {{"summary", "{{ $labels.job }} down ({{ $value }})"}};
  return r;
}

promql::Vector Down() {
  return {promql::Sample{labels::Labels({{"__name__", "up"}, {"job", "db"}}), 0}};
}

TEST(AlertingRuleTest, PendingThenFiringAtForBoundary) {
  AlertingRule rule(Spec(absl::Seconds(60)), labels::Labels());
  FakeQuery q;
  q.result = Down();
  auto changed = rule.Eval(0, q.Func());
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  const Alert& a = rule.active().at((*changed)[0]);
  EXPECT_EQ(a.state, AlertState::kPending);
  EXPECT_EQ(a.labels, labels::Labels({{"alertname", "Down"}, {"job", "db"}, {"severity", "P1"}}));
  EXPECT_EQ(a.annotations[0].second, "db down (0)");
  EXPECT_TRUE(rule.TakeAlertsToSend(0, absl::Minutes(1), absl::Seconds(10)).empty());

  EXPECT_TRUE(rule.Eval(59'999, q.Func())->empty());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kPending);
  EXPECT_EQ(rule.Eval(60'000, q.Func())->size(), 1u);
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kFiring);
  EXPECT_EQ(rule.active().begin()->second.fired_at, 60'000);
  auto sent = rule.TakeAlertsToSend(60'000, absl::Minutes(1), absl::Seconds(10));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(rule.active().begin()->second.valid_until, 60'000 + 4 * 60'000);
  // Not re-sent before the resend delay has passed.
  EXPECT_TRUE(rule.TakeAlertsToSend(120'000, absl::Minutes(1), absl::Seconds(10)).empty());
  EXPECT_EQ(rule.TakeAlertsToSend(120'001, absl::Minutes(1), absl::Seconds(10)).size(), 1u);
}

TEST(AlertingRuleTest, OneFalseEvaluationResetsFor) {
  AlertingRule rule(Spec(absl::Seconds(60)), labels::Labels());
  FakeQuery q;
  q.result = Down();
  ASSERT_TRUE(rule.Eval(0, q.Func()).ok());
  q.result.clear();
  ASSERT_TRUE(rule.Eval(30'000, q.Func()).ok());
  EXPECT_TRUE(rule.active().empty());  // pending alerts that vanish are dropped
  q.result = Down();
  ASSERT_TRUE(rule.Eval(40'000, q.Func()).ok());
  ASSERT_TRUE(rule.Eval(90'000, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kPending);
  ASSERT_TRUE(rule.Eval(100'000, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kFiring);
}

TEST(AlertingRuleTest, ResolvedIsSentAndKeptFifteenMinutes) {
  AlertingRule rule(Spec(absl::ZeroDuration()), labels::Labels());
  FakeQuery q;
  q.result = Down();
  ASSERT_TRUE(rule.Eval(0, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kFiring);  // for: 0 fires at once
  rule.TakeAlertsToSend(0, absl::Minutes(1), absl::Seconds(10));
  q.result.clear();
  EXPECT_EQ(rule.Eval(10'000, q.Func())->size(), 1u);
  const Alert& a = rule.active().begin()->second;
  EXPECT_EQ(a.state, AlertState::kInactive);
  EXPECT_EQ(a.resolved_at, 10'000);
  EXPECT_EQ(rule.TakeAlertsToSend(10'000, absl::Minutes(1), absl::Seconds(10)).size(), 1u);
  // Re-sent, still resolved, once the resend delay has passed since it was last sent
  // (Prometheus's needsSending: strictly after), for as long as it is kept.
  ASSERT_TRUE(rule.Eval(70'000, q.Func()).ok());
  EXPECT_TRUE(rule.TakeAlertsToSend(70'000, absl::Minutes(1), absl::Seconds(10)).empty());
  ASSERT_TRUE(rule.Eval(80'000, q.Func()).ok());
  auto resent = rule.TakeAlertsToSend(80'000, absl::Minutes(1), absl::Seconds(10));
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(rule.active().at(resent[0]).state, AlertState::kInactive);
  EXPECT_EQ(rule.active().at(resent[0]).resolved_at, 10'000);
  ASSERT_TRUE(rule.Eval(10'000 + kResolvedRetentionMs, q.Func()).ok());
  EXPECT_EQ(rule.active().size(), 1u);
  ASSERT_TRUE(rule.Eval(10'001 + kResolvedRetentionMs, q.Func()).ok());
  EXPECT_TRUE(rule.active().empty());
}

TEST(AlertingRuleTest, KeepFiringFor) {
  AlertingRule rule(Spec(absl::ZeroDuration(), absl::Seconds(30)), labels::Labels());
  FakeQuery q;
  q.result = Down();
  ASSERT_TRUE(rule.Eval(0, q.Func()).ok());
  q.result.clear();
  ASSERT_TRUE(rule.Eval(10'000, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kFiring);
  ASSERT_TRUE(rule.Eval(39'999, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kFiring);
  ASSERT_TRUE(rule.Eval(40'000, q.Func()).ok());
  EXPECT_EQ(rule.active().begin()->second.state, AlertState::kInactive);
}

}  // namespace
}  // namespace vigil::rules
