#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/labels/labels.h"
#include "lib/promconfig/http_client_config.h"
#include "lib/relabel/relabel.h"

namespace vigil::promconfig {

// The parts of Prometheus's prometheus.yml that vigil reads. The collector uses `global`
// and `scrape_configs`, the evaluator `global` and `rule_files`: one file serves both, as
// in Prometheus. Defaults are Prometheus's (config/config.go).
struct GlobalConfig {
  absl::Duration scrape_interval = absl::Minutes(1);
  absl::Duration scrape_timeout = absl::Seconds(10);
  absl::Duration evaluation_interval = absl::Minutes(1);
  labels::Labels external_labels;
};

struct StaticConfig {
  std::vector<std::string> targets;  // host:port
  labels::Labels labels;
};

// file_sd_configs: target groups read from JSON or YAML files (Prometheus discovery/file).
struct FileSdConfig {
  std::vector<std::string> files;           // as written: paths, a glob in the last element
  std::vector<std::string> resolved_files;  // made absolute against the config's directory
  absl::Duration refresh_interval = absl::Minutes(5);
};

struct ScrapeConfig {
  std::string job_name;
  absl::Duration scrape_interval;  // defaults from global
  absl::Duration scrape_timeout;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::map<std::string, std::vector<std::string>> params;  // URL query parameters
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  HttpClientConfig http;
  std::vector<relabel::Config> relabel_configs;         // on targets, before scraping
  std::vector<relabel::Config> metric_relabel_configs;  // on scraped samples
  // Limits; 0 means none (Prometheus's defaults). A scrape over one fails.
  uint64_t sample_limit = 0;              // samples after metric relabelling
  uint64_t label_limit = 0;               // labels of a series, __name__ included
  uint64_t label_name_length_limit = 0;   // bytes
  uint64_t label_value_length_limit = 0;  // bytes
  uint64_t body_size_limit = 0;           // bytes of the uncompressed body
};

// Parses a file_sd file: a list of target groups `{targets: [host:port...], labels: {...}}`,
// in JSON (`.json`) or YAML (`.yml`, `.yaml`); every group gets `__meta_filepath: path`.
// Errors read "path:line:col: what".
absl::StatusOr<std::vector<StaticConfig>> ParseTargetGroups(const std::string& path,
                                                            const std::string& text);

// Prometheus's units.Base2Bytes: an integer with B, KB/KiB, MB/MiB, GB/GiB, TB/TiB, PB/PiB
// or EB/EiB (all powers of 1024); a bare integer is bytes.
absl::StatusOr<uint64_t> ParseBase2Bytes(std::string_view text);

struct PrometheusConfig {
  std::string path;  // the file it was read from
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
  // As written, and resolved against the config file's directory (globs expanded).
  std::vector<std::string> rule_files;
  std::vector<std::string> resolved_rule_files;
  // alerting.alert_relabel_configs: applied to every alert the evaluator sends, after the
  // external labels (Prometheus's notifier); an alert they drop is not sent.
  std::vector<relabel::Config> alert_relabel_configs;
};

// Loads and validates a prometheus.yml. Errors read "file:line:col: what". Sections vigil
// does not implement yet (service discovery other than static_configs, remote_write...) are
// rejected by name rather than silently ignored.
absl::StatusOr<PrometheusConfig> LoadPrometheusConfig(const std::string& path);
absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(const std::string& path,
                                                       const std::string& text);

}  // namespace vigil::promconfig
