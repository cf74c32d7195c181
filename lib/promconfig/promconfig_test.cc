#include "lib/promconfig/promconfig.h"

#include <gtest/gtest.h>

namespace vigil::promconfig {
namespace {

TEST(PromConfigTest, DefaultsAndInheritance) {
  auto cfg = ParsePrometheusConfig("p.yml", R"(
global:
  scrape_interval: 5s
  evaluation_interval: 10s
  external_labels: {cluster: prod}
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ["127.0.0.1:9400", "127.0.0.1:9500"]
        labels: {env: canary}
  - job_name: slow
    scrape_interval: 1m
    scrape_timeout: 20s
    metrics_path: /deps/x/metrics
rule_files: ["rules/*.yml"]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->global.scrape_interval, absl::Seconds(5));
  EXPECT_EQ(cfg->global.scrape_timeout, absl::Seconds(5));  // capped by the interval
  EXPECT_EQ(cfg->global.evaluation_interval, absl::Seconds(10));
  EXPECT_EQ(cfg->global.external_labels.Get("cluster"), "prod");
  ASSERT_EQ(cfg->scrape_configs.size(), 2u);
  const ScrapeConfig& app = cfg->scrape_configs[0];
  EXPECT_EQ(app.scrape_interval, absl::Seconds(5));
  EXPECT_EQ(app.metrics_path, "/metrics");
  ASSERT_EQ(app.static_configs.size(), 1u);
  EXPECT_EQ(app.static_configs[0].targets.size(), 2u);
  EXPECT_EQ(app.static_configs[0].labels.Get("env"), "canary");
  EXPECT_EQ(cfg->scrape_configs[1].scrape_timeout, absl::Seconds(20));
  EXPECT_EQ(cfg->rule_files, std::vector<std::string>{"rules/*.yml"});
}

TEST(PromConfigTest, RelabelConfigsAndParams) {
  auto cfg = ParsePrometheusConfig("p.yml", R"(
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_2xx]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - target_label: __address__
        replacement: 127.0.0.1:9115
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
    static_configs:
      - targets: [example.com]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const ScrapeConfig& sc = cfg->scrape_configs[0];
  EXPECT_EQ(sc.params.at("module"), std::vector<std::string>{"http_2xx"});
  ASSERT_EQ(sc.relabel_configs.size(), 2u);
  EXPECT_EQ(sc.relabel_configs[0].target_label, "__param_target");
  EXPECT_EQ(sc.relabel_configs[1].replacement, "127.0.0.1:9115");
  ASSERT_EQ(sc.metric_relabel_configs.size(), 1u);
  EXPECT_EQ(sc.metric_relabel_configs[0].action, relabel::Action::kDrop);
}

TEST(PromConfigTest, ErrorsNamePositions) {
  auto bad = [](const std::string& text) {
    auto r = ParsePrometheusConfig("p.yml", text);
    EXPECT_FALSE(r.ok());
    return std::string(r.status().message());
  };
  EXPECT_EQ(bad("global:\n  scrape_interval: 5x\n"),
            "p.yml:2:20: \"scrape_interval\": not a valid duration string: \"5x\"");
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n    bogus: 1\n"),
            "p.yml:3:5: field bogus not found in scrape config");
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n  - job_name: a\n"),
            "p.yml:3:15: found multiple scrape configs with job name \"a\"");
  EXPECT_EQ(
      bad("scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n"),
      "p.yml:4:21: scrape timeout greater than scrape interval for scrape config with job "
      "name \"a\"");
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n    tls_config: {}\n"),
            "p.yml:3:17: tls_config is not supported by this version of vigil yet");
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n    metric_relabel_configs:\n"
                "      - action: hashmod\n        target_label: x\n"),
            "p.yml:4:9: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_NE(bad("global: [1\n").find("p.yml:"), std::string::npos);
}

}  // namespace
}  // namespace vigil::promconfig

namespace vigil::promconfig {
namespace {

TEST(PromConfigLimitsTest, ReadsLimitsAndSizes) {
  auto cfg = ParsePrometheusConfig("p.yml", R"(
scrape_configs:
  - job_name: a
    sample_limit: 1000
    label_limit: 30
    label_name_length_limit: 200
    label_value_length_limit: 2048
    body_size_limit: 10MB
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const ScrapeConfig& sc = cfg->scrape_configs[0];
  EXPECT_EQ(sc.sample_limit, 1000u);
  EXPECT_EQ(sc.label_limit, 30u);
  EXPECT_EQ(sc.label_name_length_limit, 200u);
  EXPECT_EQ(sc.label_value_length_limit, 2048u);
  EXPECT_EQ(sc.body_size_limit, 10u << 20);
  EXPECT_EQ(*ParseBase2Bytes("512"), 512u);
  EXPECT_EQ(*ParseBase2Bytes("1KiB"), 1024u);
  EXPECT_EQ(*ParseBase2Bytes("3GB"), 3ull << 30);
  EXPECT_FALSE(ParseBase2Bytes("1.5MB").ok());
  EXPECT_FALSE(ParseBase2Bytes("MB").ok());
  EXPECT_FALSE(ParseBase2Bytes("1XB").ok());
  auto bad = ParsePrometheusConfig("p.yml", "scrape_configs:\n  - job_name: a\n    body_size_limit: lots\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "p.yml:3:22: invalid size \"lots\": want an integer with B, KB, MB, GB, TB, PB or EB");
  bad = ParsePrometheusConfig("p.yml", "scrape_configs:\n  - job_name: a\n    sample_limit: -1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()), "p.yml:3:19: sample_limit must not be negative");
}

}  // namespace
}  // namespace vigil::promconfig

namespace vigil::promconfig {
namespace {

TEST(PromConfigAuthTest, ReadsBasicAuthAndAuthorizationWithPrometheusChecks) {
  auto cfg = ParsePrometheusConfig("/etc/vigil/p.yml", R"(
scrape_configs:
  - job_name: a
    basic_auth: {username: u, password_file: secrets/pw}
  - job_name: b
    authorization: {credentials: tok}
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_TRUE(cfg->scrape_configs[0].http.basic_auth);
  EXPECT_EQ(cfg->scrape_configs[0].http.password_file, "/etc/vigil/secrets/pw");
  EXPECT_EQ(cfg->scrape_configs[1].http.auth_type, "Bearer");
  EXPECT_EQ(cfg->scrape_configs[1].http.credentials, "tok");
  auto bad = ParsePrometheusConfig("p.yml",
                                   "scrape_configs:\n  - job_name: a\n    authorization: {type: Basic}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "p.yml:3:20: authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
  bad = ParsePrometheusConfig("p.yml",
                              "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u}\n"
                              "    authorization: {credentials: t}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "p.yml:4:20: at most one of basic_auth, oauth2 & authorization must be configured");
}

}  // namespace
}  // namespace vigil::promconfig
