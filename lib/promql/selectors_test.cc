#include "lib/promql/selectors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/promql/parser.h"

namespace vigil::promql {
namespace {

// Each selector as its matchers' ToString() joined by ", ".
std::vector<std::string> Selectors(const std::string& query) {
  auto e = ParseExpr(query);
  EXPECT_TRUE(e.ok()) << e.status();
  std::vector<std::string> out;
  if (!e.ok()) return out;
  for (const auto& ms : ExtractSelectors(**e)) {
    std::string s;
    for (const auto& m : ms) s += (s.empty() ? "" : ", ") + m.ToString();
    out.push_back(s);
  }
  return out;
}

using V = std::vector<std::string>;

TEST(ExtractSelectorsTest, EverySelectorKindInOrderOnce) {
  EXPECT_EQ(Selectors("1 + 2"), V{});
  EXPECT_EQ(Selectors("up"), V{"__name__=\"up\""});
  EXPECT_EQ(Selectors("{job=~\"a|b\", code!=\"200\"}"), (V{"job=~\"a|b\", code!=\"200\""}));
  EXPECT_EQ(
      Selectors("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset 1m)) / "
                "on(job) group_left sum by (job) (rate(http_requests_total[5m])) > bool 0.1"),
      (V{"__name__=\"http_requests_total\", code=~\"5..\"", "__name__=\"http_requests_total\""}));
  // Subqueries, function arguments, aggregation parameters, parentheses, unary minus, @.
  EXPECT_EQ(Selectors("max_over_time((-rate(a[1m]))[10m:1m]) and on() "
                      "topk(scalar(b @ 100), label_replace(c, \"x\", \"$1\", \"y\", \"(.*)\"))"),
            (V{"__name__=\"a\"", "__name__=\"b\"", "__name__=\"c\""}));
  // The same selector read twice is listed once; different ranges do not matter.
  EXPECT_EQ(Selectors("rate(x{a=\"1\"}[5m]) / rate(x{a=\"1\"}[1m]) + x{a=\"2\"}"),
            (V{"__name__=\"x\", a=\"1\"", "__name__=\"x\", a=\"2\""}));
  // histogram_quantile over a rate: the bucket series.
  EXPECT_EQ(Selectors("histogram_quantile(0.95, sum by (le) (rate(lat_bucket[5m])))"),
            V{"__name__=\"lat_bucket\""});
}

}  // namespace
}  // namespace vigil::promql
