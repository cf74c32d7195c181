// http_config in the notifier configuration: inheritance from global, prometheus/common's
// checks with Alertmanager 0.25's messages (each one checked against amtool check-config),
// relative paths, and vigil's alertmanager_configs and templates keys.

#include "services/notifier/http_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lib/base/format.h"
#include "services/notifier/config.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

std::string WithHttpConfig(const std::string& http_config_lines) {
  return StrCat(
      "route: {receiver: r}\n"
      "receivers:\n"
      "- name: r\n"
      "  webhook_configs:\n"
      "  - url: http://x/\n"
      "    http_config:\n",
      http_config_lines);
}

TEST(HttpConfigTest, GlobalIsTheDefaultAndPathsAreRelativeToTheConfig) {
  auto cfg = ParseConfig("/etc/vigil/am.yml", R"(global:
  http_config:
    basic_auth: {username: u, password_file: secrets/pw}
route: {receiver: r}
receivers:
- name: r
  webhook_configs:
  - url: http://a/
  - url: https://b/
    http_config:
      bearer_token_file: /abs/token
      tls_config: {ca_file: ca.pem, server_name: b.example, min_version: TLS13}
      follow_redirects: false
      proxy_url: http://proxy:3128
  alertmanager_configs:
  - url: http://am:9093
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const Receiver& r = cfg->receivers[0];
  ASSERT_EQ(r.webhook_configs.size(), 2u);
  const HttpClientConfig& a = *r.webhook_configs[0].http;
  EXPECT_TRUE(a.basic_auth);
  EXPECT_EQ(a.username, "u");
  EXPECT_EQ(a.password_file, "/etc/vigil/secrets/pw");
  EXPECT_TRUE(a.follow_redirects);
  // Its own http_config replaces global's as a whole, as in Alertmanager.
  const HttpClientConfig& b = *r.webhook_configs[1].http;
  EXPECT_FALSE(b.basic_auth);
  EXPECT_TRUE(b.authorization);  // bearer_token_file becomes authorization
  EXPECT_EQ(b.auth_type, "Bearer");
  EXPECT_EQ(b.credentials_file, "/abs/token");
  EXPECT_EQ(b.tls.ca_file, "/etc/vigil/ca.pem");
  EXPECT_EQ(b.tls.server_name, "b.example");
  EXPECT_EQ(b.tls.min_version, 0x0304);
  EXPECT_FALSE(b.follow_redirects);
  EXPECT_EQ(b.proxy_url, "http://proxy:3128");
  ASSERT_EQ(r.alertmanager_configs.size(), 1u);
  EXPECT_EQ(r.alertmanager_configs[0].url, "http://am:9093");
  EXPECT_TRUE(r.alertmanager_configs[0].http->basic_auth);
  auto integrations = r.Integrations();
  ASSERT_EQ(integrations.size(), 3u);
  EXPECT_EQ(integrations[2].Name(), "alertmanager[0]");
  EXPECT_EQ(integrations[2].http, r.alertmanager_configs[0].http);
}

TEST(HttpConfigTest, AuthorizationTypeDefaultsToBearer) {
  auto cfg =
      ParseConfig("am.yml", WithHttpConfig("      authorization: {type: ' ', credentials: x}\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->receivers[0].webhook_configs[0].http->auth_type, "Bearer");
}

// The messages amtool check-config (Alertmanager 0.25) prints for the same files.
TEST(HttpConfigTest, RejectsWhatAlertmanagerRejects) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"      basic_auth: {username: u, password: p, password_file: f}\n",
       "at most one of basic_auth password & password_file must be configured"},
      {"      basic_auth: {username: u, password: p}\n      authorization: {credentials: x}\n",
       "at most one of basic_auth, oauth2 & authorization must be configured"},
      {"      authorization: {type: basic, credentials: x}\n",
       "authorization type cannot be set to \"basic\", use \"basic_auth\" instead"},
      {"      authorization: {credentials: x, credentials_file: y}\n",
       "at most one of authorization credentials & credentials_file must be configured"},
      {"      bearer_token: a\n      bearer_token_file: b\n",
       "at most one of bearer_token & bearer_token_file must be configured"},
      {"      bearer_token: a\n      basic_auth: {username: u}\n",
       "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
      {"      bearer_token: a\n      authorization: {credentials: x}\n",
       "authorization is not compatible with bearer_token & bearer_token_file"},
      {"      tls_config: {min_version: TLS14}\n", "unknown TLS version: TLS14"},
      {"      tls_config: {max_version: tls12}\n", "unknown TLS version: tls12"},
      {"      proxy_url: 'ftp://%zz'\n", "invalid URL escape"},
      {"      no_proxy: x\n", "no_proxy"},
      {"      tls_config: {ca: x}\n", "ca"},
      {"      basic_auth: {username_file: f}\n", "username_file"},
      {"      follow_redirects: 3\n", "follow_redirects"},
      {"      oauth2: {client_id: a, client_secret: b, token_url: http://t}\n",
       "oauth2 is not supported by vigil"},
  };
  for (const auto& [lines, want] : cases) {
    auto cfg = ParseConfig("am.yml", WithHttpConfig(lines));
    ASSERT_FALSE(cfg.ok()) << lines;
    EXPECT_THAT(std::string(cfg.status().message()), HasSubstr(want)) << lines;
    EXPECT_THAT(std::string(cfg.status().message()), HasSubstr("am.yml:")) << lines;
  }
  // Stricter than Alertmanager 0.25 (which accepts these and then fails every TLS
  // request): the checks of the prometheus/common version Prometheus 2.42 ships.
  for (const char* lines : {"      tls_config: {cert_file: a}\n",
                            "      tls_config: {min_version: TLS13, max_version: TLS12}\n"}) {
    EXPECT_FALSE(ParseConfig("am.yml", WithHttpConfig(lines)).ok()) << lines;
  }
  auto global = ParseConfig("am.yml",
                            "global:\n  http_config: {foo: 1}\nroute: {receiver: r}\n"
                            "receivers: [{name: r}]\n");
  EXPECT_FALSE(global.ok());
}

TEST(HttpConfigTest, AcceptsWhatAlertmanagerAccepts) {
  for (const char* lines : {
           "      tls_config: {min_version: TLS12, max_version: TLS13, ca_file: a}\n",
           "      tls_config: {cert_file: a, key_file: b, insecure_skip_verify: true, server_name: "
           "x}\n",
           "      tls_config: ~\n",
           "      follow_redirects: false\n      enable_http2: true\n      proxy_url: socks5://p\n",
           "      basic_auth: {}\n",
           "      authorization: {type: Token}\n",
       }) {
    auto cfg = ParseConfig("am.yml", WithHttpConfig(lines));
    EXPECT_TRUE(cfg.ok()) << lines << cfg.status();
  }
}

TEST(HttpConfigTest, AlertmanagerConfigs) {
  auto bad = ParseConfig("am.yml",
                         "route: {receiver: r}\nreceivers:\n- name: r\n"
                         "  alertmanager_configs: [{url: 'ftp://x'}]\n");
  EXPECT_FALSE(bad.ok());
  auto missing = ParseConfig("am.yml",
                             "route: {receiver: r}\nreceivers:\n- name: r\n"
                             "  alertmanager_configs: [{send_resolved: true}]\n");
  EXPECT_FALSE(missing.ok());
}

// `templates`: globs relative to the config file; no match is fine; a file that does not
// parse is an error naming it and its line, as Alertmanager's template.FromGlobs.
TEST(HttpConfigTest, Templates) {
  const std::string dir = ::testing::TempDir() + "/vigil-templates";
  std::filesystem::create_directories(dir + "/t");
  std::filesystem::create_directories(dir + "/bad");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  write("t/good.tmpl",
        "{{ define \"slack.title\" }}{{ if eq .Status \"firing\" }}{{ len .Alerts }}{{ else }}"
        "ok{{ end }}{{ range $i, $a := .Alerts }}{{ $a.Labels.alertname | toUpper }}"
        "{{ end }}{{/* a comment */}}{{- \"}}\" -}}{{ end }}\n");
  write("bad/eof.tmpl", "{{ define \"a\" }}\nx\n");
  write("bad/unclosed.tmpl", "{{ .Foo ");
  write("bad/func.tmpl", "{{ if .X }}{{ nofunc . }}{{ end }}");
  write("bad/end.tmpl", "{{ end }}");
  write("bad/comment.tmpl", "{{/* never closed ");
  auto load = [&](const std::string& templates) {
    write("am.yml", "route: {receiver: r}\nreceivers: [{name: r}]\ntemplates: " + templates + "\n");
    return LoadConfig(dir + "/am.yml");
  };
  auto good = load("['t/*.tmpl', 't/*.none', '/nonexistent/*.tmpl']");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->templates[0], dir + "/t/*.tmpl");
  for (const auto& [glob, want] : std::vector<std::pair<std::string, std::string>>{
           {"bad/eof.tmpl", "template: eof.tmpl:3: unexpected EOF"},
           {"bad/unclosed.tmpl", "template: unclosed.tmpl:1: unclosed action"},
           {"bad/func.tmpl", "function \"nofunc\" not defined"},
           {"bad/end.tmpl", "unexpected {{end}}"},
           {"bad/comment.tmpl", "unclosed comment"},
           {"'t/['", "syntax error in pattern"}}) {
    auto cfg = load("[" + glob + "]");
    ASSERT_FALSE(cfg.ok()) << glob;
    EXPECT_THAT(std::string(cfg.status().message()), HasSubstr(want)) << glob;
  }
  EXPECT_FALSE(ParseConfig("am.yml",
                           "route: {receiver: r}\nreceivers: [{name: r}]\n"
                           "templates: x\n")
                   .ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::notifier
