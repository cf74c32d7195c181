#include "services/notifier/route.h"

#include <gtest/gtest.h>

#include "services/notifier/config.h"

namespace vigil::notifier {
namespace {

std::vector<std::string> MatchedReceivers(const Config& cfg, const labels::Labels& ls) {
  std::vector<std::string> out;
  for (const Route* r : cfg.route->Match(ls)) out.push_back(r->options().receiver + " " + r->key());
  return out;
}

constexpr char kTree[] = R"(
route:
  receiver: root
  group_by: [alertname]
  routes:
    - matchers: ['severity="P0"']
      receiver: pager
      continue: true
    - matchers: ['team="db"']
      receiver: db
      routes:
        - matchers: ['severity=~"P0|P1"']
          receiver: db-urgent
    - matchers: ['team=~"db|api"']
      receiver: backend
receivers: [{name: root}, {name: pager}, {name: db}, {name: db-urgent}, {name: backend}]
)";

TEST(RouteTest, DepthFirstFirstMatchWinsUnlessContinue) {
  auto cfg = ParseConfig("t.yml", kTree);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  // No child matches: the root itself.
  EXPECT_EQ(MatchedReceivers(*cfg, {{"alertname", "A"}}), (std::vector<std::string>{"root {}"}));
  // First matching child wins; later siblings are not tried.
  EXPECT_EQ(MatchedReceivers(*cfg, {{"alertname", "A"}, {"team", "db"}}),
            (std::vector<std::string>{R"(db {}/{team="db"})"}));
  // Depth first: the grandchild matches and stops the search.
  EXPECT_EQ(MatchedReceivers(*cfg, {{"team", "db"}, {"severity", "P1"}}),
            (std::vector<std::string>{R"(db-urgent {}/{team="db"}/{severity=~"P0|P1"})"}));
  // continue: the P0 route matches and matching goes on to the next siblings.
  EXPECT_EQ(
      MatchedReceivers(*cfg, {{"team", "api"}, {"severity", "P0"}}),
      (std::vector<std::string>{R"(pager {}/{severity="P0"})", R"(backend {}/{team=~"db|api"})"}));
  // continue with no later match: only the P0 route (not the root).
  EXPECT_EQ(MatchedReceivers(*cfg, {{"severity", "P0"}}),
            (std::vector<std::string>{R"(pager {}/{severity="P0"})"}));
}

TEST(RouteTest, GroupLabelsTakeTheGroupByValuesPresent) {
  auto cfg = ParseConfig("t.yml", R"(
route:
  receiver: a
  group_by: [alertname, job]
  routes:
    - matchers: ['all="yes"']
      group_by: ['...']
receivers: [{name: a}]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  labels::Labels ls{{"alertname", "X"}, {"instance", "i1"}};
  EXPECT_EQ(cfg->route->GroupLabels(ls).ToString(), R"({alertname="X"})");
  labels::Labels all{{"alertname", "X"}, {"all", "yes"}};
  const Route* child = cfg->route->Match(all).front();
  EXPECT_EQ(child->GroupLabels(all), all);
}

}  // namespace
}  // namespace vigil::notifier
