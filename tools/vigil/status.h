#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "tools/vigil/probe.h"

namespace vigil::cli {

struct StatusOptions {
  std::string config_file;        // a mesh file: its processes with a gRPC address
  std::vector<std::string> grpc;  // or these addresses
  std::string timeout = "2s";     // per call
  std::string output = "table";   // "table" or "json"
};

// Registers `vigil status` on `app`.
CLI::App* AddStatusCommand(CLI::App& app, StatusOptions* options);

// `vigil status`: asks every service for its health and status and prints them. Returns 0
// when every service is SERVING, 1 otherwise (and on a bad mesh file or flag).
int RunStatus(const StatusOptions& options);

// The services `vigil status` asks: (name, address) pairs.
struct StatusTarget {
  std::string name;
  std::string address;
};

// The readable table: one line per service, then each one's endpoints, stats and problems.
// `now` gives the uptime.
std::string FormatStatusTable(const std::vector<ServiceReport>& reports, TimestampMs now);
// The same as a JSON document {"services": [...]}.
std::string FormatStatusJson(const std::vector<ServiceReport>& reports, TimestampMs now);

}  // namespace vigil::cli
