#include "tools/vigil/check_notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// amtool check-config's exit code and stdout for one file.
std::pair<int, std::string> RunAmtool(const std::string& file) {
  std::string out;
  FILE* p = popen(("/usr/bin/amtool check-config '" + file + "' 2>/dev/null").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  return std::make_pair(WEXITSTATUS(rc), out);
}

class CheckNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-check-notifier-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  int Check(std::vector<std::string> files) {
    out_.str("");
    err_.str("");
    return CheckNotifierConfigs(files, out_, err_);
  }

  std::string dir_;
  std::ostringstream out_, err_;
};

constexpr char kGood[] =
    "route:\n"
    "  receiver: team\n"
    "  routes:\n"
    "    - receiver: pager\n"
    "      matchers: [severity=\"critical\"]\n"
    "receivers:\n"
    "  - name: team\n"
    "    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]\n"
    "  - name: pager\n"
    "inhibit_rules:\n"
    "  - source_matchers: [severity=critical]\n"
    "    target_matchers: [severity=warning]\n"
    "    equal: [cluster]\n";

// An undefined receiver on line 4 (Alertmanager: `undefined receiver "nobody" used in route`).
constexpr char kUndefinedReceiver[] =
    "route:\n"
    "  receiver: team\n"
    "  routes:\n"
    "    - receiver: nobody\n"
    "receivers:\n"
    "  - name: team\n";

TEST_F(CheckNotifierTest, ValidFilePrintsAmtoolSummary) {
  std::string good = Write("good.yml", kGood);
  EXPECT_EQ(Check({good}), 0);
  EXPECT_EQ(out_.str(), "Checking '" + good +
                            "'  SUCCESS\nFound:\n - global config\n - route\n"
                            " - 1 inhibit rules\n - 2 receivers\n - 0 templates\n\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CheckNotifierTest, InvalidFileFailsWithFileLineCol) {
  std::string good = Write("good.yml", kGood);
  std::string bad = Write("bad.yml", kUndefinedReceiver);
  std::string syntax = Write("syntax.yml", "route:\n  receiver: [oops\n");
  std::string missing = dir_ + "/missing.yml";
  EXPECT_EQ(Check({good, bad, syntax, missing}), 1);
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Checking '" + good + "'  SUCCESS\n"));
  EXPECT_THAT(out, HasSubstr("Checking '" + bad + "'  FAILED: " + bad + ":4:"));
  EXPECT_THAT(out, HasSubstr("nobody"));
  EXPECT_THAT(out, HasSubstr("Checking '" + syntax + "'  FAILED: " + syntax + ":"));
  EXPECT_THAT(out, HasSubstr("Checking '" + missing + "'  FAILED: "));
  EXPECT_EQ(err_.str(), "vigil: error: failed to validate 3 file(s)\n");
}

// The same files through Debian's amtool (when installed): the same verdicts, and for a
// valid file the same output.
TEST_F(CheckNotifierTest, AgreesWithAmtool) {
  if (access("/usr/bin/amtool", X_OK) != 0) GTEST_SKIP() << "amtool not installed";
  auto amtool = RunAmtool;
  std::string good = Write("good.yml", kGood);
  auto [good_rc, good_out] = amtool(good);
  EXPECT_EQ(Check({good}), good_rc);
  EXPECT_EQ(out_.str(), good_out);

  std::string bad = Write("bad.yml", kUndefinedReceiver);
  auto [bad_rc, bad_out] = amtool(bad);
  EXPECT_EQ(bad_rc, 1) << bad_out;
  EXPECT_EQ(Check({bad}), 1);
  EXPECT_THAT(bad_out, HasSubstr("Checking '" + bad + "'  FAILED: "));
  EXPECT_THAT(out_.str(), HasSubstr("Checking '" + bad + "'  FAILED: "));
}

// http_config and templates: for each file, vigil and amtool give the same verdict, and
// for valid files and template failures the same output.
TEST_F(CheckNotifierTest, AgreesWithAmtoolOnHttpConfigAndTemplates) {
  if (access("/usr/bin/amtool", X_OK) != 0) GTEST_SKIP() << "amtool not installed";
  auto amtool = RunAmtool;
  Write("ok.tmpl", "{{ define \"x\" }}{{ range .Alerts }}{{ .Labels.a | toUpper }}{{ end }}{{ end }}");
  Write("eof.tmpl", "{{ define \"x\" }}\n");
  const std::string head = "route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n"
                           "  - url: https://x/\n    http_config:\n";
  const std::vector<std::string> files = {
      head + "      basic_auth: {username: u, password_file: pw}\n"
             "      tls_config: {ca_file: ca.pem, server_name: x, min_version: TLS12}\n",
      head + "      authorization: {type: Token, credentials_file: tok}\n"
             "      follow_redirects: false\n      proxy_url: http://p:3128\n",
      head + "      bearer_token: t\n      tls_config: {insecure_skip_verify: true}\n",
      head + "      basic_auth: {username: u, password: p, password_file: f}\n",
      head + "      authorization: {type: Basic}\n",
      head + "      bearer_token: a\n      bearer_token_file: b\n",
      head + "      bearer_token: a\n      authorization: {credentials: x}\n",
      head + "      tls_config: {min_version: TLS14}\n",
      head + "      tls_config: {cert: x}\n",
      head + "      proxy_url: 'http://%zz'\n",
      "global:\n  http_config: {basic_auth: {username: u}, authorization: {credentials: x}}\n"
      "route: {receiver: r}\nreceivers: [{name: r}]\n",
      "global:\n  http_config: {authorization: {credentials: x}}\n"
      "route: {receiver: r}\nreceivers: [{name: r}]\n",
      "route: {receiver: r}\nreceivers: [{name: r}]\ntemplates: ['*.tmpl', 'none/*.x']\n",
      "route: {receiver: r}\nreceivers: [{name: r}]\ntemplates: ['eof.tmpl']\n",
  };
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string file = Write("case" + std::to_string(i) + ".yml", files[i]);
    auto [rc, amtool_out] = amtool(file);
    EXPECT_EQ(Check({file}), rc) << files[i] << "amtool: " << amtool_out
                                 << "vigil: " << out_.str();
    const bool template_failure = amtool_out.find("templates\n  FAILED") != std::string::npos;
    if (rc == 0 || template_failure) {
      EXPECT_EQ(out_.str(), amtool_out) << files[i];
    }
  }
}

// Matcher strings, one or several to an entry (Alertmanager's labels.ParseMatchers): for
// each file vigil and amtool give the same verdict, and for valid files the same output.
TEST_F(CheckNotifierTest, AgreesWithAmtoolOnMatcherStrings) {
  if (access("/usr/bin/amtool", X_OK) != 0) GTEST_SKIP() << "amtool not installed";
  const std::vector<std::string> entries = {R"('a="1",b="2"')",
                                            R"('{c=~"x.*", d!="y"}')",
                                            R"('foo:bar="1"')",
                                            R"('e=1,f=2, ')",
                                            R"('{foo=bar}}')",
                                            R"('trickier==\\=\=\"')",
                                            R"('x="a\tb\nc"')",
                                            R"('job=')",
                                            R"('z="b,c", y="q"', 'a=0')",
                                            R"('a=1,,b=2')",
                                            R"('a="x')",
                                            R"('a=x"')",
                                            R"('a-b=1')",
                                            R"('{a=~"["}')",
                                            R"(' , a=1')",
                                            R"('a="1"x"')",
                                            R"('{a="1"')",
                                            R"m('a!~"x,y", b=~"(a|b)"')m"};
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string text =
        "route:\n  receiver: a\n  routes:\n    - receiver: a\n"
        "      matchers: [" +
        entries[i] +
        "]\n"
        "inhibit_rules:\n  - source_matchers: [" +
        entries[i] +
        "]\n"
        "receivers:\n  - name: a\n";
    const std::string file = Write("m" + std::to_string(i) + ".yml", text);
    auto [rc, amtool_out] = RunAmtool(file);
    EXPECT_EQ(Check({file}), rc) << text << "amtool: " << amtool_out << "vigil: " << out_.str();
    if (rc == 0) EXPECT_EQ(out_.str(), amtool_out) << text;
  }
}

}  // namespace
}  // namespace vigil::cli
