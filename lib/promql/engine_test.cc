#include "lib/promql/engine.h"

#include <gtest/gtest.h>

#include "lib/codec/samples.h"
#include "lib/promql/parser.h"

namespace vigil::promql {
namespace {

Vector Eval(const tsdb::Head& h, std::string_view q, TimestampMs t) {
  auto e = ParseExpr(q);
  EXPECT_TRUE(e.ok()) << e.status();
  auto v = EvalInstant(**e, t, h);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Vector{};
}

TEST(EngineTest, LookbackAndStaleness) {
  tsdb::Head h;
  labels::Labels a({{"__name__", "up"}, {"job", "a"}});
  h.Append(a, 0, 1);
  EXPECT_EQ(Eval(h, "up", 0).size(), 1u);
  EXPECT_EQ(Eval(h, "up", 300'000).size(), 1u);  // exactly 5m old: still seen (2.42)
  EXPECT_EQ(Eval(h, "up", 300'001).size(), 0u);
  h.Append(a, 10'000, codec::StaleNaN());
  EXPECT_EQ(Eval(h, "up", 10'000).size(), 0u);
  EXPECT_EQ(Eval(h, "up", 9'999).size(), 1u);
}

TEST(EngineTest, ComparisonFiltersOrReturnsBool) {
  tsdb::Head h;
  h.Append(labels::Labels({{"__name__", "up"}, {"job", "a"}}), 0, 1);
  h.Append(labels::Labels({{"__name__", "up"}, {"job", "b"}}), 0, 0);
  Vector v = Eval(h, "up == 0", 1000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].metric.Get("job"), "b");
  EXPECT_EQ(v[0].metric.Get("__name__"), "up");  // filters keep the name
  v = Eval(h, "up == bool 0", 1000);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].metric.Get("__name__"), "");  // bool drops it
  v = Eval(h, "0.5 < up", 1000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].metric.Get("job"), "a");
  EXPECT_EQ(v[0].value, 1);
}

TEST(EngineTest, RateExtrapolatesLikePrometheus) {
  tsdb::Head h;
  labels::Labels c({{"__name__", "c"}});
  for (int i = 0; i <= 10; i++) h.Append(c, i * 60'000, i * 60.0);  // 1/s
  Vector v = Eval(h, "rate(c[5m])", 600'000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_DOUBLE_EQ(v[0].value, 1.0);
  EXPECT_EQ(v[0].metric.Get("__name__"), "");
  v = Eval(h, "increase(c[5m])", 600'000);
  EXPECT_DOUBLE_EQ(v[0].value, 300.0);
}

TEST(EngineTest, RangeQueryAndMatchingErrors) {
  tsdb::Head h;
  h.Append(labels::Labels({{"__name__", "a"}, {"x", "1"}, {"y", "1"}}), 0, 1);
  h.Append(labels::Labels({{"__name__", "a"}, {"x", "1"}, {"y", "2"}}), 0, 2);
  h.Append(labels::Labels({{"__name__", "b"}, {"x", "1"}}), 0, 10);
  HeadQueryable q(h);
  auto e = ParseExpr("a * on(x) b");
  auto r = Query(**e, q, 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
  e = ParseExpr("a * on(x) group_left b");
  r = Query(**e, q, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->vector.size(), 2u);
  e = ParseExpr("sum(a)");
  auto m = QueryRange(**e, q, 0, 120'000, 60'000);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].points.size(), 3u);
  EXPECT_EQ((*m)[0].points[2].v, 3);
}

}  // namespace
}  // namespace vigil::promql
