#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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

// Parses argv; returns the process exit code to use when it should not run (--help: 0,
// bad flags: 2), or -1 to go on.
int ParseFlags(CLI::App& app, int argc, char** argv);

}  // namespace vigil::service
