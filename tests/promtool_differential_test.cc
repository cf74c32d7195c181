// Differential test against Debian's promtool 2.42: every rule unit-test file in
// testdata/rules/ (`*_test.yml`) goes through both `vigil test rules` and
// `promtool test rules`; the verdicts (exit codes) and what each prints on stdout and
// stderr must be the same, but for the two differences docs/DIFFERENCES.md lists (see
// SameOutput). promtool is the oracle: files named fail_* hold expectations promtool
// rejects, the others must pass in promtool, so the corpus itself is checked too. Skips
// when promtool is absent.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
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

struct ToolRun {
  int code = -1;  // -1 on a signal
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `binary <command> rules file` (command: "test" or "check").
ToolRun RunRules(const std::string& binary, const std::string& command, const std::string& file) {
  const std::string out = ::testing::TempDir() + "/rules.out",
                    err = ::testing::TempDir() + "/rules.err";
  std::string cmd =
      "'" + binary + "' " + command + " rules '" + file + "' >'" + out + "' 2>'" + err + "'";
  int st = std::system(cmd.c_str());
  ToolRun r;
  if (st != -1 && WIFEXITED(st)) r.code = WEXITSTATUS(st);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

// promtool's text and vigil's are the same, but where vigil deliberately says more
// (docs/DIFFERENCES.md, "vigil test rules"): (1) a rule file's template error names its
// position, "f.yml: 7:11: group ..." where promtool has "f.yml: group ..."; (2) a unit-test
// file's unknown or mistyped field is "t.yml:7:9: field x not found in input series" where
// promtool prints Go's "yaml: unmarshal errors:" and its type names: the lines before it
// must be the same.
//
// promtool names the two series of a "found duplicate series" error in either order from
// one run to the next (Go's map order); both texts get them sorted.
std::string SortDuplicatePair(const std::string& line) {
  static const std::regex pair(R"((hand-side of the operation: \[)(\{[^}]*\}), (\{[^}]*\})\])");
  std::smatch m;
  if (!std::regex_search(line, m, pair) || m[2].str() <= m[3].str()) return line;
  return m.prefix().str() + m[1].str() + m[3].str() + ", " + m[2].str() + "]" + m.suffix().str();
}

std::vector<std::string> SortedPairs(std::vector<std::string> lines) {
  for (std::string& l : lines) l = SortDuplicatePair(l);
  return lines;
}

bool SameOutput(const std::string& promtool, const std::string& vigil) {
  const std::vector<std::string> p = SortedPairs(Lines(promtool)), v = SortedPairs(Lines(vigil));
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "yaml: unmarshal errors:") return v.size() == i + 1;
    if (i >= v.size()) return false;
    if (p[i] == v[i]) continue;
    static const std::regex position(R"(^(\S+): \d+:\d+: (.*)$)");
    std::smatch m;
    if (!std::regex_match(v[i], m, position) || m[1].str() + ": " + m[2].str() != p[i])
      return false;
  }
  return p.size() == v.size();
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

// What `file` printed through both tools is the same (SameOutput), stdout and stderr.
void ExpectSameOutput(const std::string& file, const ToolRun& promtool, const ToolRun& vigil) {
  EXPECT_TRUE(SameOutput(promtool.out, vigil.out)) << file << " stdout, promtool:\n"
                                                   << promtool.out << "vigil:\n"
                                                   << vigil.out;
  EXPECT_TRUE(SameOutput(promtool.err, vigil.err)) << file << " stderr, promtool:\n"
                                                   << promtool.err << "vigil:\n"
                                                   << vigil.err;
}

TEST(PromtoolDifferentialTest, SameVerdictForEveryCorpusFile) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
  std::string vigil = VigilBinary();
  ASSERT_EQ(access(vigil.c_str(), X_OK), 0) << vigil;
  std::vector<std::string> files = CorpusFiles();
  ASSERT_GE(files.size(), 10u) << "corpus missing: run from the project root";
  int failing = 0;
  for (const std::string& f : files) {
    const ToolRun want = RunRules(kPromtool, "test", f);
    const ToolRun got = RunRules(vigil, "test", f);
    bool expect_fail = fs::path(f).filename().string().starts_with("fail_");
    failing += expect_fail;
    EXPECT_EQ(want.code, expect_fail ? 1 : 0)
        << f << ": promtool's verdict is not what the "
        << "file's name says (the corpus is wrong, not vigil)";
    EXPECT_EQ(got.code, want.code)
        << f << ": vigil test rules exits " << got.code << ", promtool " << want.code;
    ExpectSameOutput(f, want, got);
  }
  EXPECT_GT(failing, 0) << "the corpus needs deliberately failing files";
}

// `check rules` over the corpus's rule files: the same verdict and output as promtool's.
TEST(PromtoolDifferentialTest, CheckRulesSameVerdictForEveryRuleFile) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
  std::string vigil = VigilBinary();
  std::vector<std::string> files = CorpusFiles(".rules.yml");
  ASSERT_GE(files.size(), 5u);
  for (const std::string& f : files) {
    const ToolRun want = RunRules(kPromtool, "check", f);
    const ToolRun got = RunRules(vigil, "check", f);
    EXPECT_EQ(got.code, want.code) << f;
    ExpectSameOutput(f, want, got);
  }
}

}  // namespace
}  // namespace vigil::testing
