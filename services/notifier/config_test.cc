#include "services/notifier/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(global:
  resolve_timeout: 1m
route:
  receiver: default
  group_by: [alertname, job]
  group_wait: 10s
  routes:
    - matchers: ['severity="P0"', 'team=~"db|api"']
      receiver: pager
      continue: true
      group_interval: 1m
    - match:
        env: prod
      match_re:
        service: "api.*"
      group_by: ['...']
      routes:
        - receiver: files
          matchers: [ "region != eu" ]
receivers:
  - name: default
    webhook_configs:
      - url: http://127.0.0.1:9999/hook
  - name: pager
    webhook_configs:
      - url: https://pager.example/x
        send_resolved: false
        max_alerts: 3
  - name: files
    file_configs:
      - path: /tmp/alerts.jsonl
)";

// The error message of parsing `text`, "" when it parses.
std::string ParseError(const std::string& text) {
  auto cfg = ParseConfig("am.yml", text);
  return cfg.ok() ? "" : std::string(cfg.status().message());
}

TEST(ConfigTest, ParsesAGoodFileWithDefaultsAndInheritance) {
  auto cfg = ParseConfig("am.yml", kGood);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->resolve_timeout, absl::Minutes(1));
  const Route& root = *cfg->route;
  EXPECT_EQ(root.key(), "{}");
  EXPECT_EQ(root.options().receiver, "default");
  EXPECT_EQ(root.options().group_by, (std::vector<std::string>{"alertname", "job"}));
  EXPECT_EQ(root.options().group_wait, absl::Seconds(10));
  EXPECT_EQ(root.options().group_interval, absl::Minutes(5));
  EXPECT_EQ(root.options().repeat_interval, absl::Hours(4));
  ASSERT_EQ(root.routes().size(), 2u);

  const Route& p0 = *root.routes()[0];
  EXPECT_EQ(p0.key(), R"({}/{severity="P0",team=~"db|api"})");
  EXPECT_EQ(p0.options().receiver, "pager");
  EXPECT_TRUE(p0.continue_matching());
  EXPECT_EQ(p0.options().group_wait, absl::Seconds(10));  // inherited
  EXPECT_EQ(p0.options().group_interval, absl::Minutes(1));
  EXPECT_EQ(p0.options().group_by, root.options().group_by);

  const Route& prod = *root.routes()[1];
  EXPECT_EQ(prod.key(), R"({}/{env="prod",service=~"api.*"})");
  EXPECT_EQ(prod.options().receiver, "default");  // inherited
  EXPECT_TRUE(prod.options().group_by_all);
  const Route& files = *prod.routes()[0];
  EXPECT_EQ(files.options().receiver, "files");
  EXPECT_TRUE(files.options().group_by_all);  // inherited from its parent
  EXPECT_EQ(files.key(), R"({}/{env="prod",service=~"api.*"}/{region!="eu"})");

  const Receiver* pager = cfg->FindReceiver("pager");
  ASSERT_NE(pager, nullptr);
  ASSERT_EQ(pager->webhook_configs.size(), 1u);
  EXPECT_FALSE(pager->webhook_configs[0].send_resolved);
  EXPECT_EQ(pager->webhook_configs[0].max_alerts, 3);
  EXPECT_TRUE(cfg->FindReceiver("default")->webhook_configs[0].send_resolved);
  EXPECT_TRUE(cfg->FindReceiver("files")->file_configs[0].send_resolved);
  EXPECT_EQ(cfg->FindReceiver("files")->file_configs[0].path, "/tmp/alerts.jsonl");
  EXPECT_EQ(cfg->FindReceiver("nope"), nullptr);
}

TEST(ConfigTest, DefaultResolveTimeoutIsFiveMinutes) {
  auto cfg = ParseConfig("am.yml", "route: {receiver: a}\nreceivers: [{name: a}]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->resolve_timeout, absl::Minutes(5));
  EXPECT_EQ(cfg->route->options().group_wait, absl::Seconds(30));
}

TEST(ConfigTest, ErrorsNameFileLineAndColumn) {
  // Unknown key at the top level.
  EXPECT_EQ(ParseError("route: {receiver: a}\nreceivers: [{name: a}]\ninhibit: 1\n"),
            "am.yml:3:1: field inhibit not found in config");
  // Unknown key in a nested route.
  EXPECT_EQ(ParseError("route:\n  receiver: a\n  routes:\n    - receiver: a\n      colour: red\n"
                       "receivers: [{name: a}]\n"),
            "am.yml:5:7: field colour not found in route");
  // Undefined receiver, at the receiver's value.
  EXPECT_EQ(
      ParseError("route:\n  receiver: a\n  routes:\n    - receiver: b\nreceivers: [{name: a}]\n"),
      "am.yml:4:17: undefined receiver \"b\" used in route");
  // Bad duration.
  EXPECT_THAT(ParseError("route:\n  receiver: a\n  group_wait: soon\nreceivers: [{name: a}]\n"),
              HasSubstr("am.yml:3:15: \"group_wait\""));
  // Bad matcher string.
  EXPECT_THAT(ParseError("route:\n  receiver: a\n  routes:\n    - matchers: ['sev~P0']\n"
                         "receivers: [{name: a}]\n"),
              HasSubstr("am.yml:4:18: bad matcher format"));
  // Bad regex in match_re.
  EXPECT_THAT(ParseError("route:\n  receiver: a\n  routes:\n    - match_re: {x: '('}\n"
                         "receivers: [{name: a}]\n"),
              HasSubstr("am.yml:4:21: invalid regular expression"));
  // Bad boolean and bad webhook URL.
  EXPECT_THAT(ParseError("route: {receiver: a}\nreceivers:\n  - name: a\n    webhook_configs:\n"
                         "      - url: http://x/\n        send_resolved: maybe\n"),
              HasSubstr("am.yml:6:24: \"send_resolved\": cannot parse \"maybe\""));
  EXPECT_THAT(ParseError("route: {receiver: a}\nreceivers:\n  - name: a\n    webhook_configs:\n"
                         "      - url: ftp://x/\n"),
              HasSubstr("am.yml:5:14: unsupported scheme"));
  // Duplicate receiver names, missing root receiver, root matchers, wildcard mix.
  EXPECT_THAT(ParseError("route: {receiver: a}\nreceivers: [{name: a}, {name: a}]\n"),
              HasSubstr("am.yml:2:31: notification config name \"a\" is not unique"));
  EXPECT_THAT(ParseError("route: {group_wait: 1s}\nreceivers: [{name: a}]\n"),
              HasSubstr("am.yml:1:8: root route must specify a default receiver"));
  EXPECT_THAT(ParseError("route: {receiver: a, matchers: ['x=1']}\nreceivers: [{name: a}]\n"),
              HasSubstr("root route must not have any matchers"));
  EXPECT_THAT(ParseError("route: {receiver: a, group_by: ['...', x]}\nreceivers: [{name: a}]\n"),
              HasSubstr("am.yml:1:32: cannot have wildcard group_by"));
  // YAML syntax error.
  EXPECT_THAT(ParseError("route: {receiver: a\n"), HasSubstr("am.yml:"));
  // No route at all.
  EXPECT_THAT(ParseError("receivers: [{name: a}]\n"), HasSubstr("no route provided in config"));
}

TEST(ConfigTest, LoadConfigNamesTheFile) {
  std::string path = ::testing::TempDir() + "/notifier_config_test.yml";
  {
    std::ofstream out(path);
    out << "route:\n  receiver: nobody\n";
  }
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(std::string(cfg.status().message()),
            path + ":2:13: undefined receiver \"nobody\" used in route");
  std::remove(path.c_str());
  EXPECT_FALSE(LoadConfig(path).ok());
}

// The example the mesh runs (found from any working directory).
TEST(ConfigTest, AcceptsThePhase5Example) {
  auto cfg = LoadConfig(std::string(VIGIL_SOURCE_DIR) + "/examples/phase5/alertmanager.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->route->options().group_wait, absl::ZeroDuration());
  EXPECT_EQ(cfg->route->routes().front()->options().receiver, "on-call");
}

// A webhook's `timeout` (Alertmanager 0.28's key) reaches its integration.
TEST(ConfigTest, WebhookTimeout) {
  auto cfg =
      ParseConfig("am.yml",
                  "route: {receiver: a}\n"
                  "receivers:\n"
                  "  - name: a\n"
                  "    webhook_configs: [{url: 'http://x/', timeout: 3s}, {url: 'http://y/'}]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const auto& integrations = cfg->receivers.front().Integrations();
  ASSERT_EQ(integrations.size(), 2u);
  EXPECT_EQ(integrations[0].timeout, absl::Seconds(3));
  EXPECT_EQ(integrations[1].timeout, absl::ZeroDuration());
  EXPECT_FALSE(ParseConfig("am.yml",
                           "route: {receiver: a}\nreceivers:\n  - name: a\n"
                           "    webhook_configs: [{url: 'http://x/', timeout: soon}]\n")
                   .ok());
}

// A `matchers:` entry may hold several matchers, as Alertmanager's (one of its config's
// forms is `['{a="1", b=~"x.*"}']`); a route's matchers are kept in Alertmanager's order.
TEST(ConfigTest, MatcherEntriesMayHoldSeveral) {
  auto cfg = ParseConfig("am.yml",
                         "route:\n"
                         "  receiver: a\n"
                         "  routes:\n"
                         "    - receiver: a\n"
                         "      matchers: ['{c=~\"x.*\", b!=\"y\"}', 'a=\"0\"']\n"
                         "inhibit_rules:\n"
                         "  - source_matchers: ['s=\"1\",t=\"2\"']\n"
                         "    target_matchers: ['u=\"3\"']\n"
                         "receivers:\n"
                         "  - name: a\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->route->routes().front()->key(), R"({}/{a="0",b!="y",c=~"x.*"})");
  ASSERT_EQ(cfg->inhibit_rules.size(), 1u);
  EXPECT_EQ(cfg->inhibit_rules.front().source_matchers.size(), 2u);
  auto bad = ParseConfig("am.yml",
                         "route:\n  receiver: a\n  routes:\n    - receiver: a\n"
                         "      matchers: ['a=1,,b=2']\nreceivers:\n  - name: a\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("am.yml:5:18: bad matcher format"));
}

}  // namespace
}  // namespace vigil::notifier
