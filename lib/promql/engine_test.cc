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

// The narrow storage interface: tests feed series directly.
class FakeStorage : public Queryable {
 public:
  void Add(labels::Labels l, std::vector<tsdb::Point> p) { series_.push_back({std::move(l), std::move(p)}); }
  std::vector<SeriesView> Select(const std::vector<labels::Matcher>& m) const override {
    std::vector<SeriesView> out;
    for (const Series& s : series_) {
      if (labels::MatchesAll(m, s.metric)) out.push_back({&s.metric, s.points});
    }
    return out;
  }

 private:
  std::vector<Series> series_;
};

TEST(EngineTest, AtStartAndEndPinTheWholeRangeQuery) {
  FakeStorage st;
  std::vector<tsdb::Point> pts;
  for (int i = 0; i <= 10; i++) pts.push_back({i * 60'000, static_cast<double>(i)});
  st.Add(labels::Labels({{"__name__", "x"}}), pts);
  auto run = [&](std::string_view q) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status();
    auto m = QueryRange(**e, st, 120'000, 480'000, 120'000);
    EXPECT_TRUE(m.ok()) << m.status();
    std::vector<double> out;
    for (const auto& p : (*m)[0].points) out.push_back(p.v);
    return out;
  };
  EXPECT_EQ(run("x"), (std::vector<double>{2, 4, 6, 8}));
  EXPECT_EQ(run("x @ end()"), (std::vector<double>{8, 8, 8, 8}));
  EXPECT_EQ(run("x @ start()"), (std::vector<double>{2, 2, 2, 2}));
  EXPECT_EQ(run("x offset 1m"), (std::vector<double>{1, 3, 5, 7}));
  EXPECT_EQ(run("x offset -1m"), (std::vector<double>{3, 5, 7, 9}));
  // A subquery's steps are aligned to multiples of its step: at 4m, [3m:2m] reads 2m and 4m.
  EXPECT_EQ(run("sum_over_time(x[3m:2m])"), (std::vector<double>{0 + 2, 2 + 4, 4 + 6, 6 + 8}));
  auto e = ParseExpr("x[5m]");
  EXPECT_FALSE(QueryRange(**e, st, 0, 60'000, 60'000).ok());  // range vectors are instant-only
  auto v = Query(**e, st, 300'000);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->type, ValueType::kMatrix);
  EXPECT_EQ(v->matrix[0].points.size(), 6u);  // [0, 5m], closed on both ends in 2.42
}

}  // namespace
}  // namespace vigil::promql
