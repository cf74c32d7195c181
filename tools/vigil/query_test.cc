#include "tools/vigil/query.h"

#include <gtest/gtest.h>

namespace vigil::cli {
namespace {

v1::QuerySeries Series(std::vector<std::pair<std::string, std::string>> labels,
                       std::vector<std::pair<int64_t, double>> points) {
  v1::QuerySeries s;
  for (auto& [k, v] : labels) {
    v1::Label* l = s.add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  for (auto& [t, v] : points) {
    v1::QueryPoint* p = s.add_points();
    p->set_t_ms(t);
    p->set_value(v);
  }
  return s;
}

// The expectations are what Debian's `promtool query instant|range` prints for the same
// results from Prometheus 2.42.
TEST(QueryFormatTest, InstantVectorLikePromtool) {
  v1::QueryResponse r;
  r.set_result_type("vector");
  r.set_time_ms(1795715999500);
  *r.add_series() = Series({{"__name__", "foo"}, {"b", "y\""}, {"a", "x"}}, {{1795715999500, 3.5}});
  *r.add_series() = Series({}, {{1795715999500, 1e-7}});
  EXPECT_EQ(FormatQueryText(r),
            "foo{a=\"x\", b=\"y\\\"\"} => 3.5 @[1795715999.5]\n{} => 0.0000001 @[1795715999.5]\n");
  EXPECT_EQ(FormatQueryJson(r),
            R"([{"metric":{"__name__":"foo","a":"x","b":"y\""},"value":[1795715999.5,"3.5"]},)"
            R"({"metric":{},"value":[1795715999.5,"0.0000001"]}])"
            "\n");
  r.clear_series();
  EXPECT_EQ(FormatQueryText(r), "\n");
}

TEST(QueryFormatTest, ScalarAndMatrixLikePromtool) {
  v1::QueryResponse r;
  r.set_result_type("scalar");
  r.set_scalar(1.5);
  r.set_time_ms(1795718305621);
  EXPECT_EQ(FormatQueryText(r), "scalar: 1.5 @[1795718305.621]\n");
  EXPECT_EQ(FormatQueryJson(r), "[1795718305.621,\"1.5\"]\n");
  v1::QueryRangeResponse m;
  *m.add_series() =
      Series({{"__name__", "bar_total"}, {"a", "y"}}, {{1795715819000, 0}, {1795715879000, 10}});
  *m.add_series() = Series({{"__name__", "foo"}, {"a", "x"}}, {{1795715879000, 0.5}});
  EXPECT_EQ(FormatRangeText(m),
            "bar_total{a=\"y\"} =>\n0 @[1795715819]\n10 @[1795715879]\nfoo{a=\"x\"} =>\n0.5 "
            "@[1795715879]\n");
}

TEST(QueryFormatTest, ParsesTimesLikePromtool) {
  EXPECT_EQ(*ParseCliTime("1795715999.5"), 1795715999500);
  EXPECT_EQ(*ParseCliTime("2026-11-26T18:00:00Z"), 1795716000000);
  EXPECT_FALSE(ParseCliTime("soon").ok());
}

}  // namespace
}  // namespace vigil::cli
