#include "tools/vigil/check_rules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::cli {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(CheckRulesTest, ValidFileCountsRules) {
  std::string f = WriteTemp("ok.rules.yml", R"(groups:
- name: g
  rules:
  - alert: A
    expr: up == 0
    for: 1m
  - record: job:up:sum
    expr: sum by (job) (up)
)");
  std::ostringstream out, err;
  EXPECT_EQ(CheckRuleFiles({f}, out, err), 0);
  EXPECT_EQ(out.str(), "Checking " + f + "\n  SUCCESS: 2 rules found\n\n");
  EXPECT_EQ(err.str(), "");
}

TEST(CheckRulesTest, BadExpressionFailsWithPosition) {
  std::string ok =
      WriteTemp("ok2.rules.yml", "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: up\n");
  std::string bad =
      WriteTemp("bad.rules.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == (\n");
  std::ostringstream out, err;
  EXPECT_EQ(CheckRuleFiles({ok, bad}, out, err), 1);
  EXPECT_NE(out.str().find("Checking " + ok + "\n  SUCCESS: 1 rules found\n"), std::string::npos);
  EXPECT_NE(out.str().find("Checking " + bad + "\n"), std::string::npos);
  EXPECT_EQ(err.str().rfind("  FAILED:\n" + bad +
                                ": 5:11: group \"g\", rule 1, \"A\": could not parse expression",
                            0),
            0u)
      << err.str();
}

TEST(CheckRulesTest, DuplicateRecordingRuleIsALintWarningOnly) {
  std::string f = WriteTemp("dup.rules.yml", R"(groups:
- name: g
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - record: job:up:sum
    expr: sum by (job) (up)
)");
  std::ostringstream out, err;
  EXPECT_EQ(CheckRuleFiles({f}, out, err), 0);
  EXPECT_NE(err.str().find("lint error 1 duplicate rule(s) found.\nMetric: job:up:sum\n"),
            std::string::npos);
}

TEST(CheckRulesTest, MissingFileFails) {
  std::ostringstream out, err;
  EXPECT_EQ(CheckRuleFiles({"/nonexistent/x.yml"}, out, err), 1);
  EXPECT_NE(err.str().find("FAILED"), std::string::npos);
}

}  // namespace
}  // namespace vigil::cli
