// Differential test against Debian's promtool 2.42: every rule unit-test file in
// testdata/rules/ (`*_test.yml`) goes through both `vigil test rules` and
// `promtool test rules`; the verdicts (exit codes) must be the same. promtool is the oracle:
// files named fail_* hold expectations promtool rejects, the others must pass in promtool,
// so the corpus itself is checked too. Skips when promtool is absent.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

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

// Runs `argv0 test rules file` with output discarded; returns the exit code (-1 on signal).
int RunTestRules(const std::string& binary, const std::string& file) {
  std::string cmd = "'" + binary + "' test rules '" + file + "' >/dev/null 2>&1";
  int st = std::system(cmd.c_str());
  if (st == -1 || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kCorpus, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 9 && name.ends_with("_test.yml")) out.push_back(e.path().string());
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
    int want = RunTestRules(kPromtool, f);
    int got = RunTestRules(vigil, f);
    bool expect_fail = fs::path(f).filename().string().starts_with("fail_");
    failing += expect_fail;
    EXPECT_EQ(want, expect_fail ? 1 : 0) << f << ": promtool's verdict is not what the file's "
                                         << "name says (the corpus is wrong, not vigil)";
    EXPECT_EQ(got, want) << f << ": vigil test rules exits " << got << ", promtool " << want;
  }
  EXPECT_GT(failing, 0) << "the corpus needs deliberately failing files";
}

}  // namespace
}  // namespace vigil::testing
