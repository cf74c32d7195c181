#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::service {

// The flags every vigil service takes (DESIGN.md, Contracts), Prometheus-style.
struct CommonFlags {
  std::string config_file;
  std::string web_listen_address;
  std::string grpc_listen_address;
  std::string log_level = "info";
  std::string log_format = "logfmt";  // "logfmt" or "json"
  std::string bus_publish_address;
  std::vector<std::string> bus_connect;
  std::string storage_path;  // notifier, reporter
  // The URL users reach this service under (behind a proxy, a path prefix): Prometheus's
  // and Alertmanager's --web.external-url, in alerts' generatorURL and payloads'
  // externalURL. Empty: http://<hostname>:<port of --web.listen-address>, as theirs.
  std::string web_external_url;
};

// Defaults of one service, from the Contracts table.
struct ServiceDefaults {
  std::string name;
  std::string config_file;
  int http_port;
  int grpc_port;
  int bus_port;
  std::vector<std::string> bus_connect;
  std::string storage_path;
};

ServiceDefaults CollectorDefaults();
ServiceDefaults EvaluatorDefaults();
ServiceDefaults NotifierDefaults();
ServiceDefaults ReporterDefaults();

// Registers the common flags on `app` with the service's defaults.
void AddCommonFlags(CLI::App& app, const ServiceDefaults& defaults, CommonFlags* flags);

// The external URL as Prometheus 2.42 and Alertmanager 0.25 compute it from their flags
// (computeExternalURL / extURL): `flag`, or http://<hostname>:<port of listen_address>/
// when empty; an http or https URL; trailing slashes of its path dropped, so that
// "http://h:9093/" is "http://h:9093" and "https://x/am/" is "https://x/am".
absl::StatusOr<std::string> ExternalUrl(std::string_view flag, std::string_view listen_address);

// Parses argv; returns the process exit code to use when it should not run (--help: 0,
// bad flags: 2), or -1 to go on.
int ParseFlags(CLI::App& app, int argc, char** argv);

}  // namespace vigil::service
