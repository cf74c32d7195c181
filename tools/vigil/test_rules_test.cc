#include "tools/vigil/test_rules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// A directory with a rule file and a test file referring to it relatively.
class TestRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    std::ofstream(dir_ / "r.yml") << R"(groups:
- name: g
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - alert: Down
    expr: job:up:sum == 0
    for: 2m
    labels: {severity: page}
    annotations:
      summary: '{{ $labels.job }} down ({{ $value }}) in {{ $externalLabels.dc }}'
)";
  }
  std::string Write(const std::string& text) {
    std::string p = (dir_ / "t.yml").string();
    std::ofstream(p) << text;
    return p;
  }
  int Run(const std::string& file) {
    out_.str("");
    err_.str("");
    return TestRuleFiles({file}, out_, err_);
  }
  fs::path dir_;
  std::ostringstream out_, err_;
};

constexpr char kHeader[] = R"(rule_files: [r.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    external_labels: {dc: eu}
    input_series:
      - series: 'up{job="a", instance="x"}'
        values: '1 0 0 0 0 0'
)";

TEST_F(TestRulesTest, PassingFileSucceeds) {
  std::string f = Write(std::string(kHeader) + R"(    alert_rule_test:
      - eval_time: 2m
        alertname: Down
      - eval_time: 3m
        alertname: Down
        exp_alerts:
          - exp_labels: {job: a, severity: page}
            exp_annotations: {summary: 'a down (0) in eu'}
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 1m
        exp_samples:
          - labels: 'job:up:sum{job="a"}'
            value: 0
      - expr: ALERTS
        eval_time: 2m
        exp_samples:
          - labels: 'ALERTS{alertname="Down", alertstate="pending", job="a", severity="page"}'
            value: 1
)");
  EXPECT_EQ(Run(f), 0) << err_.str();
  EXPECT_EQ(out_.str(), "Unit Testing:  " + f + "\n  SUCCESS\n\n");
}

TEST_F(TestRulesTest, AlertTooEarlyFailsLikePromtool) {
  std::string f = Write(std::string(kHeader) + R"(    alert_rule_test:
      - eval_time: 2m
        alertname: Down
        exp_alerts:
          - exp_labels: {job: a, severity: page}
)");
  EXPECT_EQ(Run(f), 1);
  EXPECT_EQ(err_.str(),
            "  FAILED:\n"
            "    alertname: Down, time: 2m, \n"
            "        exp:[\n"
            "            0:\n"
            "              Labels:{alertname=\"Down\", job=\"a\", severity=\"page\"}\n"
            "              Annotations:{}\n"
            "            ], \n"
            "        got:[]\n");
}

TEST_F(TestRulesTest, WrongSampleValueShowsBoth) {
  std::string f = Write(std::string(kHeader) + R"(    promql_expr_test:
      - expr: up{job="a"}
        eval_time: 0m
        exp_samples:
          - labels: 'up{job="a", instance="x"}'
            value: 2
)");
  EXPECT_EQ(Run(f), 1);
  EXPECT_EQ(err_.str(),
            "  FAILED:\n"
            "    expr: \"up{job=\\\"a\\\"}\", time: 0s,\n"
            "        exp: {__name__=\"up\", instance=\"x\", job=\"a\"} 2E+00\n"
            "        got: {__name__=\"up\", instance=\"x\", job=\"a\"} 1E+00\n");
}

TEST_F(TestRulesTest, ExpandingNotationAndStaleness) {
  std::string f = Write(R"(rule_files: []
tests:
  - interval: 30s
    input_series:
      - series: 'c'
        values: '10-2x3 _ stale 7'
    promql_expr_test:
      - expr: c
        eval_time: 1m30s
        exp_samples:
          - labels: 'c'
            value: 4
      - expr: c
        eval_time: 2m
        exp_samples:
          - labels: 'c'
            value: 4
      - expr: c
        eval_time: 2m30s
      - expr: c
        eval_time: 3m
        exp_samples:
          - labels: 'c'
            value: 7
)");
  EXPECT_EQ(Run(f), 0) << err_.str();
}

TEST_F(TestRulesTest, UnknownFieldAndMissingAlertnameFail) {
  EXPECT_EQ(Run(Write("rule_files: []\nbogus: 1\n")), 1);
  EXPECT_NE(err_.str().find("bogus"), std::string::npos);
  EXPECT_EQ(Run(Write("rule_files: []\ntests:\n  - alert_rule_test:\n      - eval_time: 1m\n")), 1);
  EXPECT_NE(err_.str().find("misses required attribute alertname at eval_time 1m"),
            std::string::npos);
}

// Shapes promtool's strict YAML decoding rejects: an error for the file, never a crash.
TEST_F(TestRulesTest, MalformedFilesAreErrorsNotCrashes) {
  for (const char* body :
       {"tests: 5\n", "rule_files: x\ntests: [5]\n", "[1, 2]\n", "group_eval_order: {a: b}\n",
        "tests:\n  - name: [a]\n", "tests:\n  - input_series:\n      - series: {a: b}\n",
        "tests:\n  - input_series:\n      - series: '{}'\n        values: '1'\n",
        "tests:\n  - interval: 1m\n    input_series:\n      - series: up\n"
        "        values: 'abc'\n"}) {
    EXPECT_EQ(Run(Write(body)), 1) << body;
    EXPECT_EQ(err_.str().rfind("  FAILED:\n", 0), 0u) << body << err_.str();
  }
  EXPECT_EQ(Run(Write("")), 0) << "an empty file has no tests to fail";
}

}  // namespace
}  // namespace vigil::cli
