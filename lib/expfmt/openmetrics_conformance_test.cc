// Runs the OpenMetrics project's parser conformance cases
// (../shared/conformance/openmetrics-parsers/<case>/{metrics,test.json}, relative to the
// project root, which is the tests' working directory): every text case must be accepted or
// rejected as its test.json's "shouldParse" says. The files are read in place, never copied.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/base/format.h"
#include "lib/expfmt/openmetrics_parser.h"

namespace vigil::expfmt {
namespace {

namespace fs = std::filesystem;

constexpr char kCasesDir[] = "../shared/conformance/openmetrics-parsers";

// Cases vigil answers differently from test.json, each with its reason in
// docs/DIFFERENCES.md. The test fails when one of these starts passing or another fails.
const std::set<std::string> kKnownDifferences = {};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses a whole exposition with the family checks on; returns the first error.
absl::Status ParseStrict(std::string_view text) {
  OpenMetricsParser parser(text, OpenMetricsOptions{.check_families = true});
  while (true) {
    absl::StatusOr<Entry> e = parser.Next();
    if (!e.ok()) return e.status();
    if (*e == Entry::kEof) return absl::OkStatus();
  }
}

TEST(OpenMetricsConformanceTest, EveryTextCaseParsesAsExpected) {
  if (!fs::is_directory(kCasesDir)) {
    GTEST_SKIP() << kCasesDir << " is absent (the OpenMetrics conformance cases); skipping";
  }
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kCasesDir)) {
    if (entry.is_directory() && fs::exists(entry.path() / "test.json"))
      cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GT(cases.size(), 200u) << "expected the 211 OpenMetrics cases in " << kCasesDir;

  int run = 0;
  int accepted = 0;
  std::set<std::string> different;
  for (const fs::path& dir : cases) {
    std::string name = dir.filename().string();
    nlohmann::json spec = nlohmann::json::parse(ReadFile(dir / "test.json"), nullptr, false);
    ASSERT_FALSE(spec.is_discarded()) << name << ": test.json is not JSON";
    if (spec.value("type", "") != "text") continue;
    bool should_parse = spec.value("shouldParse", false);
    std::string file = spec.value("file", "metrics");
    absl::Status s = ParseStrict(ReadFile(dir / file));
    ++run;
    if (s.ok()) ++accepted;
    if (s.ok() != should_parse) {
      different.insert(name);
      if (!kKnownDifferences.contains(name)) {
        ADD_FAILURE() << name << ": should " << (should_parse ? "parse" : "fail") << " but "
                      << (s.ok() ? "parsed" : StrCat("failed: ", s.message()));
      }
    }
  }
  for (const std::string& name : kKnownDifferences) {
    EXPECT_TRUE(different.contains(name))
        << name << " is listed as a known difference but now parses as test.json says; "
        << "remove it from kKnownDifferences and docs/DIFFERENCES.md";
  }
  EXPECT_EQ(run, 211);
  std::cout << "OpenMetrics conformance: " << run - static_cast<int>(different.size()) << "/" << run
            << " cases as expected (" << accepted << " accepted)\n";
}

}  // namespace
}  // namespace vigil::expfmt
