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
  EXPECT_TRUE(v.ok());
  return *v;
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

}  // namespace
}  // namespace vigil::promql
