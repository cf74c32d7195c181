#include "lib/rules/rule_file.h"

#include <gtest/gtest.h>

namespace vigil::rules {
namespace {

TEST(RuleFileTest, ParsesGroupsAndRules) {
  auto groups = ParseRuleFile("r.yml", R"(
groups:
  - name: availability
    interval: 10s
    rules:
      - alert: MemoryStoreServiceDown
        expr: up{job="memory_store"} == 0
        for: 1m
        labels: {severity: P1}
        annotations:
          summary: "Memory store {{ $labels.instance }} is down"
      - record: job:up:value
        expr: up
)");
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 1u);
  const GroupSpec& g = (*groups)[0];
  EXPECT_EQ(g.interval, absl::Seconds(10));
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].alert, "MemoryStoreServiceDown");
  EXPECT_EQ(g.rules[0].for_duration, absl::Minutes(1));
  EXPECT_EQ(g.rules[0].labels.Get("severity"), "P1");
  EXPECT_EQ(g.rules[0].annotations[0].first, "summary");
  EXPECT_EQ(g.rules[1].record, "job:up:value");
}

TEST(RuleFileTest, ErrorsNameFileLineColumnAndRule) {
  auto err = [](const std::string& text) {
    auto r = ParseRuleFile("r.yml", text);
    EXPECT_FALSE(r.ok());
    return std::string(r.status().message());
  };
  EXPECT_EQ(err("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n"),
            "r.yml: 5:15: group \"g\", rule 1, \"A\": could not parse expression: 1:6: parse "
            "error: unexpected end of input");
  EXPECT_EQ(err("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        "
                "for: 5q\n"),
            "r.yml: 6:14: \"for\": not a valid duration string: \"5q\"");
  EXPECT_EQ(err("groups:\n  - name: g\n    rules:\n      - expr: up\n"),
            "r.yml: 4:9: group \"g\", rule 1: one of 'record' or 'alert' must be set");
  EXPECT_EQ(err("groups:\n  - name: g\n    bogus: 1\n"),
            "r.yml: 3:5: field bogus not found in rule group");
  EXPECT_EQ(err("groups:\n  - name: g\n  - name: g\n"),
            "r.yml: 3:11: groupname: \"g\" is repeated in the same file");
  EXPECT_EQ(err("groups:\n  - name: g\n    rules:\n      - record: a b\n        expr: up\n"),
            "r.yml: 4:17: group \"g\", rule 1, \"a b\": invalid recording rule name: a b");
}

}  // namespace
}  // namespace vigil::rules
