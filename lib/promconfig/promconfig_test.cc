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

// Prometheus 2.42 reads an explicit 0s as unset: the global durations take their defaults
// and a job's the global ones (checked against `prometheus --config.file` and its
// /api/v1/status/config). A 0s interval must never mean "as often as possible".
TEST(PromConfigTest, ZeroDurationsMeanTheDefaults) {
  auto cfg = ParsePrometheusConfig("p.yml", R"(
global:
  scrape_interval: 0s
  scrape_timeout: 0s
  evaluation_interval: 0s
scrape_configs:
  - job_name: a
    scrape_interval: 0s
    scrape_timeout: 0s
  - job_name: b
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->global.scrape_interval, absl::Minutes(1));
  EXPECT_EQ(cfg->global.scrape_timeout, absl::Seconds(10));
  EXPECT_EQ(cfg->global.evaluation_interval, absl::Minutes(1));
  for (const ScrapeConfig& sc : cfg->scrape_configs) {
    EXPECT_EQ(sc.scrape_interval, absl::Minutes(1)) << sc.job_name;
    EXPECT_EQ(sc.scrape_timeout, absl::Seconds(10)) << sc.job_name;
  }

  // A job's 0s takes the global values, and a 0s timeout the global one capped by the
  // job's interval, as when it is absent.
  cfg = ParsePrometheusConfig("p.yml", R"(
global: {scrape_interval: 15s, scrape_timeout: 12s}
scrape_configs:
  - {job_name: a, scrape_interval: 0s}
  - {job_name: b, scrape_interval: 5s, scrape_timeout: 0s}
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->scrape_configs[0].scrape_interval, absl::Seconds(15));
  EXPECT_EQ(cfg->scrape_configs[0].scrape_timeout, absl::Seconds(12));
  EXPECT_EQ(cfg->scrape_configs[1].scrape_interval, absl::Seconds(5));
  EXPECT_EQ(cfg->scrape_configs[1].scrape_timeout, absl::Seconds(5));
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
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n    oauth2: {}\n"),
            "p.yml:3:13: oauth2 is not supported by this version of vigil yet");
  EXPECT_EQ(bad("scrape_configs:\n  - job_name: a\n    metric_relabel_configs:\n"
                "      - action: hashmod\n        target_label: x\n"),
            "p.yml:4:9: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_NE(bad("global: [1\n").find("p.yml:"), std::string::npos);
  EXPECT_EQ(bad("alerting:\n  bogus: 1\n"), "p.yml:2:3: field bogus not found in alerting config");
  EXPECT_EQ(bad("alerting:\n  alert_relabel_configs:\n    - action: hashmod\n"
                "      target_label: x\n"),
            "p.yml:3:7: relabel configuration for hashmod requires non-zero modulus");
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

namespace vigil::promconfig {
namespace {

std::string ErrorOf(const std::string& scrape_config_body) {
  auto cfg = ParsePrometheusConfig("p.yml", "scrape_configs:\n  - job_name: a\n" +
                                                scrape_config_body);
  return cfg.ok() ? "ok" : std::string(cfg.status().message());
}

TEST(PromConfigTlsTest, ReadsTlsConfigResolvingFiles) {
  auto cfg = ParsePrometheusConfig("/etc/vigil/p.yml", R"(
scrape_configs:
  - job_name: a
    scheme: https
    tls_config:
      ca_file: tls/ca.pem
      cert_file: /abs/client.pem
      key_file: tls/client.key
      server_name: node.example
      insecure_skip_verify: true
      min_version: TLS13
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const TlsConfig& tls = cfg->scrape_configs[0].http.tls;
  EXPECT_EQ(tls.ca_file, "/etc/vigil/tls/ca.pem");
  EXPECT_EQ(tls.cert_file, "/abs/client.pem");
  EXPECT_EQ(tls.key_file, "/etc/vigil/tls/client.key");
  EXPECT_EQ(tls.server_name, "node.example");
  EXPECT_TRUE(tls.insecure_skip_verify);
  EXPECT_EQ(tls.min_version, 0x0304);
  EXPECT_EQ(tls.max_version, 0);
}

TEST(PromConfigTlsTest, RejectsWhatPrometheus242Rejects) {
  // common v0.39 (Prometheus 2.42) has no inline ca/cert/key.
  EXPECT_EQ(ErrorOf("    tls_config: {ca: x}\n"),
            "p.yml:3:18: field ca not found in tls_config");
  EXPECT_EQ(ErrorOf("    tls_config: {cert_file: c.pem}\n"),
            "p.yml:3:17: client cert file \"c.pem\" specified without client key file");
  EXPECT_EQ(ErrorOf("    tls_config: {key_file: k.pem}\n"),
            "p.yml:3:17: client key file \"k.pem\" specified without client cert file");
  EXPECT_EQ(ErrorOf("    tls_config: {min_version: TLS14}\n"),
            "p.yml:3:31: unknown TLS version: TLS14");
  EXPECT_EQ(ErrorOf("    tls_config: {min_version: TLS13, max_version: TLS12}\n"),
            "p.yml:3:17: tls_config.max_version must be greater than or equal to "
            "tls_config.min_version if both are specified");
  EXPECT_EQ(ErrorOf("    tls_config: {insecure_skip_verify: maybe}\n"),
            "p.yml:3:40: \"insecure_skip_verify\": cannot parse \"maybe\" as a boolean");
}

TEST(PromConfigBearerTest, LegacyBearerFieldsBecomeAuthorization) {
  auto cfg = ParsePrometheusConfig("/etc/vigil/p.yml", R"(
scrape_configs:
  - job_name: a
    bearer_token: tok
  - job_name: b
    bearer_token_file: secrets/tok
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const HttpClientConfig& a = cfg->scrape_configs[0].http;
  EXPECT_TRUE(a.authorization);
  EXPECT_EQ(a.auth_type, "Bearer");
  EXPECT_EQ(a.credentials, "tok");
  const HttpClientConfig& b = cfg->scrape_configs[1].http;
  EXPECT_TRUE(b.authorization);
  EXPECT_EQ(b.credentials_file, "/etc/vigil/secrets/tok");
}

TEST(PromConfigBearerTest, MutualExclusionErrorsInPrometheusOrder) {
  EXPECT_EQ(ErrorOf("    bearer_token: t\n    bearer_token_file: f\n"),
            "p.yml:4:24: at most one of bearer_token & bearer_token_file must be configured");
  // The bearer pair is checked before basic_auth, as in HTTPClientConfig.Validate.
  EXPECT_EQ(ErrorOf("    basic_auth: {username: u}\n    bearer_token: t\n    "
                    "bearer_token_file: f\n"),
            "p.yml:5:24: at most one of bearer_token & bearer_token_file must be configured");
  EXPECT_EQ(ErrorOf("    basic_auth: {username: u}\n    bearer_token_file: f\n"),
            "p.yml:4:24: at most one of basic_auth, oauth2, bearer_token & bearer_token_file "
            "must be configured");
  EXPECT_EQ(ErrorOf("    authorization: {credentials: c}\n    bearer_token: t\n"),
            "p.yml:3:20: authorization is not compatible with bearer_token & "
            "bearer_token_file");
  // An empty legacy field is as absent, as in Go.
  EXPECT_EQ(ErrorOf("    authorization: {credentials: c}\n    bearer_token: \"\"\n"), "ok");
}

}  // namespace
}  // namespace vigil::promconfig
