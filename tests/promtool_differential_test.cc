// Differential test against Debian's promtool 2.42: every rule unit-test file in
// testdata/rules/ (`*_test.yml`) goes through both `vigil test rules` and
// `promtool test rules`; the verdicts (exit codes) must be the same. promtool is the oracle:
// files named fail_* hold expectations promtool rejects, the others must pass in promtool,
// so the corpus itself is checked too. Skips when promtool is absent.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace vigil::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kPromtool[] = "/usr/bin/promtool";
constexpr char kCorpus[] = "testdata/rules";  // relative to the project root (cwd)

// The vigil binary beside this test's build directory: build/tests/x -> build/bin/vigil.
std::string VigilBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "bin" / "vigil").string();
}

// Runs `binary <command> rules file` (command: "test" or "check") with output discarded;
// returns the exit code (-1 on signal).
int RunRules(const std::string& binary, const std::string& command, const std::string& file) {
  std::string cmd = "'" + binary + "' " + command + " rules '" + file + "' >/dev/null 2>&1";
  int st = std::system(cmd.c_str());
  if (st == -1 || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

std::vector<std::string> CorpusFiles(std::string_view suffix = "_test.yml") {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kCorpus, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PromtoolDifferentialTest, SameVerdictForEveryCorpusFile) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
  std::string vigil = VigilBinary();
  ASSERT_EQ(access(vigil.c_str(), X_OK), 0) << vigil;
  std::vector<std::string> files = CorpusFiles();
  ASSERT_GE(files.size(), 10u) << "corpus missing: run from the project root";
  int failing = 0;
  for (const std::string& f : files) {
    int want = RunRules(kPromtool, "test", f);
    int got = RunRules(vigil, "test", f);
    bool expect_fail = fs::path(f).filename().string().starts_with("fail_");
    failing += expect_fail;
    EXPECT_EQ(want, expect_fail ? 1 : 0) << f << ": promtool's verdict is not what the file's "
                                         << "name says (the corpus is wrong, not vigil)";
    EXPECT_EQ(got, want) << f << ": vigil test rules exits " << got << ", promtool " << want;
  }
  EXPECT_GT(failing, 0) << "the corpus needs deliberately failing files";
}

// `check rules` over the corpus's rule files: the same verdict as promtool's.
TEST(PromtoolDifferentialTest, CheckRulesSameVerdictForEveryRuleFile) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
  std::string vigil = VigilBinary();
  std::vector<std::string> files = CorpusFiles(".rules.yml");
  ASSERT_GE(files.size(), 5u);
  for (const std::string& f : files) {
    EXPECT_EQ(RunRules(vigil, "check", f), RunRules(kPromtool, "check", f)) << f;
  }
}

}  // namespace
}  // namespace vigil::testing
