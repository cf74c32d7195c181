#include "lib/promql/engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/promql/parser.h"
#include "lib/promql/query_cache.h"

namespace vigil::promql {
namespace {

Vector Eval(const tsdb::Head& h, std::string_view q, TimestampMs t) {
  auto e = ParseExpr(q);
  EXPECT_TRUE(e.ok()) << e.status();
  auto v = EvalInstant(**e, t, h);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Vector{};
}

// Hands out points only: the engine then computes range functions over decoded windows.
class PointsOnly : public Queryable {
 public:
  explicit PointsOnly(const Queryable& q) : q_(q) {}
  using Queryable::Select;
  std::vector<SeriesView> Select(const SelectHints& h,
                                 const std::vector<labels::Matcher>& m) const override {
    return q_.Select(h, m);
  }

 private:
  const Queryable& q_;
};

// The range functions and instant selectors computed from the head's incremental window
// summaries give the
// same samples, bit for bit, as over the decoded points — at increasing evaluation times
// (the states move forward), at older ones (rebuilt), with counter resets, NaNs, stale
// markers, truncation and series that come and go.
TEST(EngineTest, WindowSummariesGiveTheSameResultsAsDecodedPoints) {
  std::mt19937 rng(11);
  tsdb::Head h;
  std::vector<labels::Labels> series;
  for (int i = 0; i < 12; ++i) {
    series.push_back(labels::Labels(
        {{"__name__", i % 3 == 0 ? "g" : "c"}, {"i", std::to_string(i)}, {"m", std::to_string(i % 2)}}));
  }
  std::vector<double> value(series.size(), 0);
  const char* exprs[] = {
      "rate(c[1m])",        "increase(c[5m])",          "delta(g[2m])",
      "irate(c[1m])",       "idelta(g[5m])",            "resets(c[5m])",
      "count_over_time(c[1m])", "last_over_time(g[1m])", "present_over_time(c{m=\"1\"}[30s])",
      "rate(c[1m] offset 30s)", "sum by (m) (rate(c[5m]))", "rate(c[1m] @ 1000000)",
      "g",                  "timestamp(c)",             "c offset 20s",
      "sum by (m) (g)",     "resets(g[1m])",            "rate(g[5m])",
      "avg without (i) (irate(c[1m]))", "count(count_over_time(c[1m]))",
      "stddev by (m) (delta(g[1m]))",   "max(increase(c[5m]))",
      "sum by (__name__) (rate(c[1m]))", "sum(rate({__name__=~\"c|g\"}[1m]))",
      "min_over_time(timestamp(c)[2m:1s])", "max_over_time(rate(c[1m])[1m:5s])",
  };
  TimestampMs t = 1'000'000;
  for (int step = 0; step < 400; ++step) {
    for (size_t i = 0; i < series.size(); ++i) {
      if ((i + static_cast<size_t>(step)) % 37 == 0) continue;  // a missed scrape
      int kind = static_cast<int>(rng() % 60);
      double v = kind == 0   ? codec::StaleNaN()
                 : kind == 1 ? std::nan("")
                 : kind < 4  ? (value[i] = static_cast<double>(rng() % 5))
                             : (value[i] += static_cast<double>(rng() % 9) / 4);
      h.Append(series[i], t + static_cast<TimestampMs>(rng() % 400), v);
    }
    t += 1000;
    if (step % 25 == 0) h.Truncate(t - 400'000);
    TimestampMs at = step % 50 == 49 ? t - 90'000 : t;
    for (const char* q : exprs) {
      auto e = ParseExpr(q);
      ASSERT_TRUE(e.ok()) << e.status();
      HeadQueryable head_q(h);
      auto fast = Query(**e, head_q, at);
      HeadQueryable head_q2(h);
      auto slow = Query(**e, PointsOnly(head_q2), at);
      ASSERT_TRUE(fast.ok() && slow.ok()) << q;
      std::map<labels::Labels, double> a, b;
      for (const Sample& s : fast->vector) a[s.metric] = s.value;
      for (const Sample& s : slow->vector) b[s.metric] = s.value;
      ASSERT_EQ(a.size(), b.size()) << q << " at " << at;
      for (const auto& [l, v] : b) {
        ASSERT_TRUE(a.count(l)) << q << " " << l.ToString();
        EXPECT_EQ(std::memcmp(&a[l], &v, sizeof v), 0)
            << q << " at " << at << " " << l.ToString() << ": " << a[l] << " vs " << v;
      }
    }
  }
}

// Aggregations that keep their groups per series across queries (GroupingCache) give the
// same samples in the same order, bit for bit, as finding every series' group afresh,
// while series come and go between queries (so selections change, shrink, grow and a
// dropped series' address may be taken by a new one with other labels) and other
// selections stay as they were.
TEST(EngineTest, TheGroupingCacheChangesNoAnswer) {
  std::mt19937 rng(5);
  tsdb::Head h;
  GroupingCache cache;
  const char* exprs[] = {
      "sum by (m) (rate(c[1m]))",
      "sum by (k, m) (rate(c[1m]))",
      "avg without (i) (increase(c[2m]))",
      "count by (k) (count_over_time(c{m=\"1\"}[1m]))",
      "max by (m) (irate(c[1m]))",
      "stddev without (i, k) (delta(c[1m]))",
      "group by (k) (resets(c[2m]))",
      "sum(rate(c[1m]))",
      "min by (k) (rate(c[2m])) + on (k) max by (k) (rate(c[2m]))",
  };
  auto series = [](int i, int k) {
    return labels::Labels({{"__name__", "c"},
                           {"i", std::to_string(i)},
                           {"k", std::to_string(k)},
                           {"m", std::to_string(i % 2)}});
  };
  // Each live series' k: a series taken out and made again may come back in another group.
  std::map<int, int> live;
  std::vector<double> value(64, 0);
  TimestampMs t = 1'000'000;
  int compared = 0;
  for (int step = 0; step < 300; ++step) {
    // Series stop (truncated away 150 s later) and start at any step, so a selection may
    // lose one series and gain another between two queries and keep its size.
    if (rng() % 3 == 0) {
      int i = static_cast<int>(rng() % 64);
      if (live.contains(i)) {
        live.erase(i);
      } else {
        live[i] = static_cast<int>(rng() % 5);
      }
    }
    if (rng() % 40 == 0) {  // history for a series, live or not: it is replaced or created
      int i = static_cast<int>(rng() % 64);
      auto it = live.find(i);
      const int k = it == live.end() ? 0 : it->second;
      std::vector<tsdb::Point> history{{t - 140'000, 0}};
      h.InsertOlder(series(i, k), history);
    }
    for (const auto& [i, k] : live) {
      value[i] += static_cast<double>(rng() % 9) / 4;
      h.Append(series(i, k), t, rng() % 50 == 0 ? 0 : value[i]);
    }
    t += 1000;
    h.Truncate(t - 150'000);
    for (const char* q : exprs) {
      auto e = ParseExpr(q);
      ASSERT_TRUE(e.ok()) << e.status();
      QueryOptions opts;
      opts.grouping_cache = &cache;
      auto cached = EvalInstant(**e, t, h, opts);
      auto afresh = EvalInstant(**e, t, h);
      ASSERT_TRUE(cached.ok() && afresh.ok()) << q;
      ASSERT_EQ(cached->size(), afresh->size()) << q << " at step " << step;
      for (size_t j = 0; j < afresh->size(); ++j) {
        const Sample& a = (*cached)[j];
        const Sample& b = (*afresh)[j];
        ASSERT_EQ(a.metric, b.metric) << q << " at step " << step << ", sample " << j;
        ASSERT_EQ(std::memcmp(&a.value, &b.value, sizeof a.value), 0)
            << q << " at step " << step << " " << a.metric.ToString() << ": " << a.value << " vs "
            << b.value;
      }
      compared += static_cast<int>(afresh->size());
    }
  }
  EXPECT_GT(compared, 1000);
  // One entry per (selection, grouping) the fused aggregations read: `by (m)` of sum and
  // max share one, `by (k)` of min, max and group another.
  EXPECT_EQ(cache.num_entries(), 7u);
  cache.Clear();
  EXPECT_EQ(cache.num_entries(), 0u);
}

// Vectors equal sample for sample, in order, values bit for bit.
void ExpectSameVector(const Vector& got, const Vector& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t j = 0; j < want.size(); ++j) {
    ASSERT_EQ(got[j].metric, want[j].metric) << what << ", sample " << j;
    ASSERT_EQ(std::memcmp(&got[j].value, &want[j].value, sizeof got[j].value), 0)
        << what << " " << got[j].metric.ToString() << ": " << got[j].value << " vs "
        << want[j].value;
  }
}

// A window function's values kept for the next query of one evaluation (WindowMemo) give
// what computing them again gives, while samples are appended between the queries as an
// evaluation's recording rules append them: to series the kept selections hold (at the
// evaluation time, so the windows change) and to others, told to the memo; and once in a
// while the head changes without telling it (an append, a truncation into the windows,
// history inserted), which must empty it.
TEST(EngineTest, TheWindowMemoChangesNoAnswer) {
  std::mt19937 rng(9);
  tsdb::Head h;
  GroupingCache cache;
  WindowMemo memo;
  QueryOptions opts;
  opts.grouping_cache = &cache;
  opts.window_memo = &memo;
  const char* exprs[] = {
      "sum by (m) (rate(c[1m]))",     "rate(c[1m])",
      "max by (m) (rate(c[1m]))",     "sum(rate(c[1m]))",
      "sum by (m) (increase(c[2m]))", "count_over_time(c[1m])",
      "sum(rate(c[1m] offset 10s))",  "sum by (i) (irate(c{m=\"1\"}[1m]))",
      "last_over_time(c[1m])",        "sum(delta(c[1m]))",
      "idelta(c[1m])",                "sum(resets(c[2m]))",
      "present_over_time(c[1m])",     "sum(rate(c[1m] @ 1100000))",
      "sum(rate(c[1m] offset 1s))",
  };
  std::vector<double> value(8, 0);
  TimestampMs t = 1'000'000;
  double recorded = 0;
  for (int step = 0; step < 200; ++step) {
    for (int i = 0; i < 8; ++i) {  // a scrape
      value[i] += static_cast<double>(rng() % 9) / 4;
      h.Append(labels::Labels({{"__name__", "c"}, {"i", std::to_string(i)},
                               {"m", std::to_string(i % 2)}}),
               t, value[i]);
    }
    // A series first scraped now, which history may reach back for later in the step.
    const labels::Labels late({{"__name__", "c"}, {"i", StrCat("late", step)}, {"m", "0"}});
    h.Append(late, t, 5);
    for (int round = 0; round < 3; ++round) {
      for (const char* q : exprs) {
        auto e = ParseExpr(q);
        ASSERT_TRUE(e.ok()) << e.status();
        auto kept = EvalInstant(**e, t, h, opts);
        auto afresh = EvalInstant(**e, t, h);
        ASSERT_TRUE(kept.ok() && afresh.ok()) << q;
        ASSERT_NO_FATAL_FAILURE(
            ExpectSameVector(*kept, *afresh, StrCat(q, " at step ", step, " round ", round)));
        // What a recording rule appends at the evaluation time: a series the selections
        // hold (`c` with m="1": only some of them), one they do not, or (rarely) one the
        // memo is not told of.
        const int kind = static_cast<int>(rng() % 16);
        if (kind == 14) {  // hides samples the [1m] windows read
          h.Truncate(t - 20'000);
          continue;
        }
        if (kind == 15) {  // history inside the windows for this step's new series
          std::vector<tsdb::Point> history{{t - 50'000, 1}, {t - 40'000, 3}};
          h.InsertOlder(late, history);
          continue;
        }
        labels::Labels series =
            kind < 4   ? labels::Labels({{"__name__", "c"}, {"i", "rec"}, {"m", "1"}})
            : kind < 13 ? labels::Labels({{"__name__", "other"}, {"i", std::to_string(kind)}})
                        : labels::Labels({{"__name__", "c"}, {"i", "untold"}, {"m", "0"}});
        // One sample per series and timestamp: later ones at the same time are refused.
        recorded += 1;
        const uint64_t before = h.generation();
        if (h.Append(series, t, recorded) && kind < 13) memo.Appended(series, before);
      }
    }
    t += 1000;
    if (step % 10 == 0) h.Truncate(t - 200'000);
  }
  EXPECT_GT(memo.hits(), 1000u);

  // A hit charges the samples the call read, as computing it does.
  QueryOptions tight = opts;
  tight.max_samples = 8;
  auto e = ParseExpr("sum(rate(c[1m]))");
  memo.Clear();
  EXPECT_FALSE(EvalInstant(**e, t, h, tight).ok());
  tight.max_samples = 1'000'000;
  ASSERT_TRUE(EvalInstant(**e, t, h, tight).ok());
  const uint64_t hits = memo.hits();
  tight.max_samples = 8;
  EXPECT_FALSE(EvalInstant(**e, t, h, tight).ok());
  EXPECT_EQ(memo.hits(), hits + 1);

  // A subquery's steps are not kept.
  memo.Clear();
  ASSERT_TRUE(EvalInstant(**ParseExpr("max_over_time(rate(c[1m])[30s:5s])"), t, h, opts).ok());
  EXPECT_EQ(memo.num_entries(), 0u);
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
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
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

// The narrow storage interface: tests feed series directly. Returns exactly the hinted
// samples (so every test here also proves the hints cover what the engine reads) and
// records, per metric name, the hints of the last Select.
class FakeStorage : public Queryable {
 public:
  void Add(labels::Labels l, std::vector<tsdb::Point> p) {
    series_.push_back({std::move(l), std::move(p)});
  }
  using Queryable::Select;
  std::vector<SeriesView> Select(const SelectHints& h,
                                 const std::vector<labels::Matcher>& m) const override {
    std::vector<SeriesView> out;
    for (const Series& s : series_) {
      if (!labels::MatchesAll(m, s.metric)) continue;
      hints_[std::string(s.metric.Get("__name__"))] = {h.start, h.end};
      auto lo = std::lower_bound(s.points.begin(), s.points.end(), h.start,
                                 [](const tsdb::Point& p, int64_t t) { return p.t < t; });
      auto hi = std::upper_bound(lo, s.points.end(), h.end,
                                 [](int64_t t, const tsdb::Point& p) { return t < p.t; });
      out.push_back({&s.metric, std::span<const tsdb::Point>(lo, hi)});
    }
    return out;
  }
  std::pair<int64_t, int64_t> hints(const std::string& name) const { return hints_.at(name); }

 private:
  std::vector<Series> series_;
  mutable std::map<std::string, std::pair<int64_t, int64_t>> hints_;
};

TEST(EngineTest, SelectIsHintedWithTheRangeTheSelectorReads) {
  FakeStorage st;
  for (const char* name : {"x", "y"}) st.Add(labels::Labels({{"__name__", name}}), {});
  using R = std::pair<int64_t, int64_t>;
  auto instant = [&](std::string_view q, int64_t t) {
    auto e = ParseExpr(q);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_TRUE(Query(**e, st, t).ok()) << q;
  };
  instant("x", 600'000);
  EXPECT_EQ(st.hints("x"), R(300'000, 600'000));  // lookback, closed
  instant("rate(x[2m] offset 1m)", 600'000);
  EXPECT_EQ(st.hints("x"), R(420'000, 540'000));
  instant("x @ 100", 600'000);
  EXPECT_EQ(st.hints("x"), R(-200'000, 100'000));
  // The inner selector runs at every step of [240s, 540s].
  instant("max_over_time(x[5m:1m] offset 1m)", 600'000);
  EXPECT_EQ(st.hints("x"), R(-60'000, 540'000));
  instant("max_over_time(rate(x[1m])[5m:1m] @ 1000)", 600'000);
  EXPECT_EQ(st.hints("x"), R(1'000'000 - 360'000, 1'000'000));
  // A range query: the union over its steps.
  auto e = ParseExpr("x - y offset 1m");
  ASSERT_TRUE(QueryRange(**e, st, 120'000, 480'000, 120'000).ok());
  EXPECT_EQ(st.hints("x"), R(-180'000, 480'000));
  EXPECT_EQ(st.hints("y"), R(-240'000, 420'000));
  e = ParseExpr("x @ end()");
  ASSERT_TRUE(QueryRange(**e, st, 120'000, 480'000, 120'000).ok());
  EXPECT_EQ(st.hints("x"), R(180'000, 480'000));
}

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

TEST(EngineTest, DateFunctionsOnOddInputsDoNotCrash) {
  FakeStorage st;
  for (std::string_view q : {"year(vector(NaN))", "month(vector(Inf))", "day_of_week(vector(-Inf))",
                             "days_in_month(vector(1e300))", "hour(vector(-1e300))"}) {
    auto e = ParseExpr(q);
    ASSERT_TRUE(e.ok()) << q;
    EXPECT_TRUE(Query(**e, st, 0).ok()) << q;
  }
  auto e = ParseExpr("day_of_week(vector(1e9))");  // 2001-09-09 was a Sunday
  EXPECT_EQ(Query(**e, st, 0)->vector[0].value, 0);
}

TEST(EngineTest, LookbehindTellsHowMuchHistoryAQueryReads) {
  auto lb = [](std::string_view q) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status();
    return MaxLookbehindMs(**e) / 60'000;  // minutes
  };
  EXPECT_EQ(lb("up == 0"), 5);  // lookback
  EXPECT_EQ(lb("rate(x[2m])"), 2);
  EXPECT_EQ(lb("sum(rate(x[5m])) > 2 * sum(rate(x[1h] offset 1h))"), 120);
  EXPECT_EQ(lb("max_over_time(rate(x[5m])[30m:1m])"), 35);
  EXPECT_EQ(lb("x offset -10m"), 0);
  EXPECT_EQ(lb("histogram_quantile(0.9, sum by (le) (rate(x_bucket[10m])))"), 10);
  EXPECT_EQ(lb("1 + 2"), 0);
  auto e = ParseExpr("rate(x[5m] @ 100) + y");
  EXPECT_TRUE(UsesAt(**e));
  EXPECT_EQ(MaxLookbehindMs(**e),
            5 * 60'000);  // y's lookback; the pinned selector is reported by UsesAt
  EXPECT_FALSE(UsesAt(**ParseExpr("rate(x[5m])")));
}

TEST(EngineTest, RunawayQueriesHitTheSampleLimit) {
  FakeStorage st;
  st.Add(labels::Labels({{"__name__", "x"}}), {{0, 1}});
  auto e = ParseExpr("max_over_time(x[100y:1ms])");
  ASSERT_TRUE(e.ok());
  QueryOptions opts;
  opts.max_samples = 1'000'000;
  auto v = Query(**e, st, 0, opts);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(),
            "query processing would load too many samples into memory in query execution");
}

// Errors Debian's promtool 2.42 reports for the same queries.
TEST(EngineTest, RuntimeErrorsMatchPromtool242) {
  FakeStorage st;
  st.Add(labels::Labels({{"__name__", "h"}, {"a", "1"}}), {{0, 1}});
  st.Add(labels::Labels({{"__name__", "h"}, {"a", "2"}}), {{0, 2}});
  st.Add(labels::Labels({{"__name__", "k"}, {"a", "1"}}), {{0, 1}});
  auto err = [&](std::string_view q) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status();
    auto v = Query(**e, st, 0);
    EXPECT_FALSE(v.ok()) << q;
    return v.ok() ? "" : std::string(v.status().message());
  };
  const std::string dup =
      "found duplicate series for the match group {} on the right hand-side of the operation: "
      "[{__name__=\"h\", a=\"2\"}, {__name__=\"h\", a=\"1\"}];many-to-many matching not allowed: "
      "matching "
      "labels must be unique on one side";
  EXPECT_EQ(err("h * on() k"),
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
  EXPECT_EQ(err("k * on() h"), dup);
  EXPECT_EQ(err("h + ignoring(a) h"), dup);
  EXPECT_EQ(err("sum without(a) (h) + on() group_left h"), dup);
  EXPECT_EQ(err("-{__name__=~\"h|k\"}"), "vector cannot contain metrics with the same labelset");
  EXPECT_EQ(err("label_replace(h, \"a-b\", \"x\", \"a\", \".*\")"),
            "invalid destination label name in label_replace(): a-b");
  EXPECT_EQ(err("label_replace(h, \"b\", \"x\", \"a\", \"(\")"),
            "invalid regular expression in label_replace(): (");
  EXPECT_EQ(err("count_values(\"a b\", h)"), "invalid label name \"a b\"");
  EXPECT_EQ(err("topk(1e30, h)"), "Scalar value 1e+30 overflows int64");
  EXPECT_EQ(err("holt_winters(h[5m], 2, 0.5)"),
            "invalid smoothing factor. Expected: 0 < sf < 1, got: 2.000000");
  auto e = ParseExpr("k * on() group_right h");
  auto v = Query(**e, st, 0);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->vector.size(), 2u);  // {a="1"} 1, {a="2"} 2
}

// Values Debian's promtool 2.42 prints for the same data (`promtool test rules` with an
// empty exp_samples shows what it got, to the last bit): compensated sums, incremental
// means, regression, extrapolation, quantiles and float formatting must match exactly.
TEST(EngineTest, MatchesPromtool242BitForBit) {
  FakeStorage st;
  auto add = [&](std::string_view name, std::string_view a, std::vector<double> vals) {
    std::vector<tsdb::Point> pts;
    for (size_t i = 0; i < vals.size(); i++)
      pts.push_back({static_cast<int64_t>(i) * 60'000, vals[i]});
    st.Add(a.empty() ? labels::Labels({{"__name__", name}})
                     : labels::Labels({{"__name__", name}, {"a", a}}),
           pts);
  };
  add("k", "1", {1e100, 1, -1e100});
  add("k", "2", {1, 1e100, 1, -1e100});
  add("f", "1", {0.1, 0.2, 0.3, 0.4, 0.7});
  add("f", "2", {0.3, 0.1, 0.7, 0.11, 1.3});
  add("g", "1", {1e100});
  add("g", "2", {1});
  add("g", "3", {-1e100});
  add("h", "1", {0.1});
  add("h", "2", {0.2});
  add("h", "3", {0.3});
  add("h", "4", {0.7});
  add("c", "", {0, 3, 7, 2, 9, 15});
  std::vector<double> b1, b5, binf;
  for (int i = 0; i <= 10; i++) {
    b1.push_back(i);
    b5.push_back(3 * i);
    binf.push_back(7 * i);
  }
  for (auto [le, vals] : {std::pair{"0.1", b1}, {"0.5", b5}, {"+Inf", binf}}) {
    std::vector<tsdb::Point> pts;
    for (size_t i = 0; i < vals.size(); i++)
      pts.push_back({static_cast<int64_t>(i) * 60'000, vals[i]});
    st.Add(labels::Labels({{"__name__", "b_bucket"}, {"le", le}}), pts);
  }
  auto eval = [&](std::string_view q, int64_t t) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status();
    auto v = Query(**e, st, t);
    EXPECT_TRUE(v.ok()) << v.status();
    std::map<std::string, double> out;
    for (const Sample& s : v->vector) out[s.metric.ToString()] = s.value;
    return out;
  };
  using M = std::map<std::string, double>;
  const int64_t m = 60'000;
  EXPECT_EQ(eval("sum_over_time(k[10m])", 4 * m), (M{{"{a=\"1\"}", 1}, {"{a=\"2\"}", 2}}));
  EXPECT_EQ(eval("avg_over_time(f[10m])", 4 * m),
            (M{{"{a=\"1\"}", 0.33999999999999997}, {"{a=\"2\"}", 0.502}}));
  EXPECT_EQ(eval("stddev_over_time(f[10m])", 4 * m),
            (M{{"{a=\"1\"}", 0.20591260281974}, {"{a=\"2\"}", 0.4543302763409016}}));
  EXPECT_EQ(eval("sum(k)", 2 * m), (M{{"{}", -1e100}}));
  EXPECT_EQ(eval("avg(f)", 4 * m), (M{{"{}", 1}}));
  EXPECT_EQ(eval("stddev(f)", 4 * m), (M{{"{}", 0.30000000000000004}}));
  EXPECT_EQ(eval("deriv(f[10m])", 4 * m),
            (M{{"{a=\"1\"}", 0.0023333333333333335}, {"{a=\"2\"}", 0.0033500000000000023}}));
  EXPECT_EQ(eval("predict_linear(f[10m], 100)", 4 * m),
            (M{{"{a=\"1\"}", 0.8533333333333334}, {"{a=\"2\"}", 1.2389999999999997}}));
  EXPECT_EQ(eval("rate(f[3m])", 4 * m),
            (M{{"{a=\"1\"}", 0.0027777777777777775}, {"{a=\"2\"}", 0.010555555555555556}}));
  EXPECT_EQ(eval("quantile_over_time(0.3, f[10m])", 4 * m),
            (M{{"{a=\"1\"}", 0.22000000000000003}, {"{a=\"2\"}", 0.148}}));
  EXPECT_EQ(eval("holt_winters(f[10m], 0.3, 0.6)", 4 * m),
            (M{{"{a=\"1\"}", 0.5599999999999999}, {"{a=\"2\"}", 0.418336}}));
  // Plain addition in series order, as 2.42 (promtool 2.42 prints 0 here; compensated
  // summation would give 1).
  EXPECT_EQ(eval("sum(g)", 0), (M{{"{}", 0}}));
  EXPECT_EQ(eval("avg(h)", 0), (M{{"{}", 0.325}}));
  EXPECT_EQ(eval("stdvar(h)", 0), (M{{"{}", 0.051874999999999984}}));
  EXPECT_EQ(eval("quantile(0.33, h)", 0), (M{{"{}", 0.199}}));
  EXPECT_EQ(eval("histogram_quantile(0.63, rate(b_bucket[5m]))", 10 * m), (M{{"{}", 0.5}}));
  EXPECT_EQ(eval("increase(c[4m])", 5 * m), (M{{"{}", 19}}));
  EXPECT_EQ(eval("rate(c[150s])", 5 * m), (M{{"{}", 0.09999999999999999}}));
  EXPECT_EQ(eval("irate(c[5m])", 5 * m), (M{{"{}", 0.1}}));
  EXPECT_EQ(eval("delta(c[3m])", 4 * m), (M{{"{}", 6}}));
  EXPECT_EQ(eval("h / on() group_left sum(h)", 0), (M{{"{a=\"1\"}", 0.07692307692307693},
                                                      {"{a=\"2\"}", 0.15384615384615385},
                                                      {"{a=\"3\"}", 0.23076923076923075},
                                                      {"{a=\"4\"}", 0.5384615384615384}}));
  EXPECT_EQ(eval("h % 0.3 ^ 2", 0), (M{{"{a=\"1\"}", 0.010000000000000009},
                                       {"{a=\"2\"}", 0.020000000000000018},
                                       {"{a=\"3\"}", 0.03},
                                       {"{a=\"4\"}", 0.06999999999999998}}));
}

}  // namespace
}  // namespace vigil::promql
