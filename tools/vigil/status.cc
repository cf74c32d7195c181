#include "tools/vigil/status.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/base/format.h"
#include "lib/config/duration.h"
#include "tools/vigil/mesh.h"

namespace vigil::cli {
namespace {

std::string Uptime(const ServiceReport& r, TimestampMs now) {
  if (!r.has_status || r.status.started_at_ms() <= 0) return "-";
  int64_t ms = std::max<int64_t>(0, now - r.status.started_at_ms());
  return config::FormatPromDuration(absl::Seconds(ms / 1000));
}

std::string Number(double v) { return fmt::format("{:g}", v); }

// Stats in name order, so the output is stable.
std::map<std::string, double> SortedStats(const v1::ServiceStatus& s) {
  return {s.stats().begin(), s.stats().end()};
}

}  // namespace

std::string FormatStatusTable(const std::vector<ServiceReport>& reports, TimestampMs now) {
  size_t name_w = 7, addr_w = 7;
  for (const ServiceReport& r : reports) {
    name_w = std::max(name_w, r.name.size());
    addr_w = std::max(addr_w, r.address.size());
  }
  std::string out;
  auto row = [&](std::string_view name, std::string_view addr, std::string_view health,
                 std::string_view ready, std::string_view version, std::string_view uptime) {
    out += fmt::format("{:<{}}  {:<{}}  {:<11}  {:<5}  {:<8}  {}\n", name, name_w, addr, addr_w,
                       health, ready, version, uptime);
  };
  row("SERVICE", "ADDRESS", "HEALTH", "READY", "VERSION", "UPTIME");
  for (const ServiceReport& r : reports) {
    row(r.name, r.address, HealthName(r.health),
        r.has_status ? (r.status.ready() ? "yes" : "no") : "-",
        r.has_status ? r.status.version() : "-", Uptime(r, now));
  }
  for (const ServiceReport& r : reports) {
    out += fmt::format("\n{} ({})\n", r.name, r.address);
    if (!r.error.empty()) out += fmt::format("  error      {}\n", r.error);
    if (!r.has_status) continue;
    const v1::ServiceStatus& s = r.status;
    if (s.endpoints_size() > 0) {
      out += "  endpoints ";
      for (const v1::Endpoint& e : s.endpoints())
        out += fmt::format(" {}={}", e.name(), e.address());
      out += "\n";
    }
    if (!s.config_file().empty()) {
      out += fmt::format(
          "  config     {}{}\n", s.config_file(),
          s.last_reload_ok() ? "" : StrCat(" (last reload failed: ", s.last_reload_error(), ")"));
    }
    if (s.stats_size() > 0) {
      out += "  stats     ";
      for (const auto& [k, v] : SortedStats(s)) out += fmt::format(" {}={}", k, Number(v));
      out += "\n";
    }
    if (s.bus_gaps() > 0 || s.bus_dropped() > 0) {
      out += fmt::format("  bus        gaps={} dropped={}\n", s.bus_gaps(), s.bus_dropped());
    }
    if (s.problems_size() == 0) {
      out += "  problems   none\n";
    } else {
      for (int i = 0; i < s.problems_size(); ++i) {
        out += fmt::format("  {:<9}  {}\n", i == 0 ? "problems" : "", s.problems(i));
      }
    }
  }
  return out;
}

std::string FormatStatusJson(const std::vector<ServiceReport>& reports, TimestampMs now) {
  nlohmann::json services = nlohmann::json::array();
  for (const ServiceReport& r : reports) {
    nlohmann::json j = {
        {"service", r.name}, {"address", r.address}, {"health", HealthName(r.health)}};
    if (!r.error.empty()) j["error"] = r.error;
    if (r.has_status) {
      const v1::ServiceStatus& s = r.status;
      j["ready"] = s.ready();
      j["version"] = s.version();
      j["started_at_ms"] = s.started_at_ms();
      j["uptime_seconds"] = std::max<int64_t>(0, now - s.started_at_ms()) / 1000;
      j["config_file"] = s.config_file();
      j["last_reload_ok"] = s.last_reload_ok();
      if (!s.last_reload_error().empty()) j["last_reload_error"] = s.last_reload_error();
      nlohmann::json endpoints = nlohmann::json::object();
      for (const v1::Endpoint& e : s.endpoints()) endpoints[e.name()] = e.address();
      j["endpoints"] = endpoints;
      nlohmann::json stats = nlohmann::json::object();
      for (const auto& [k, v] : SortedStats(s)) stats[k] = v;
      j["stats"] = stats;
      j["problems"] = std::vector<std::string>(s.problems().begin(), s.problems().end());
      j["bus_gaps"] = s.bus_gaps();
      j["bus_dropped"] = s.bus_dropped();
    }
    services.push_back(std::move(j));
  }
  return nlohmann::json{{"services", services}}.dump(2) + "\n";
}

CLI::App* AddStatusCommand(CLI::App& app, StatusOptions* options) {
  CLI::App* status = app.add_subcommand(
      "status", "Show every service's health, readiness, endpoints, figures and problems");
  status->add_option("--config", options->config_file,
                     "mesh file: ask its processes that have a gRPC address");
  status->add_option("--grpc", options->grpc,
                     "gRPC address to ask (repeatable; default 127.0.0.1:9501..9504)");
  status->add_option("--timeout", options->timeout, "timeout per call")->capture_default_str();
  status->add_option("--output,-o", options->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return status;
}

int RunStatus(const StatusOptions& options) {
  auto timeout = config::ParseDuration(options.timeout);
  if (!timeout.ok()) {
    fprintf(stderr, "error: --timeout: %s\n", std::string(timeout.status().message()).c_str());
    return 1;
  }
  std::vector<StatusTarget> targets;
  if (!options.config_file.empty()) {
    auto mesh = LoadMesh(options.config_file, "");
    if (!mesh.ok()) {
      fprintf(stderr, "error: %s\n", std::string(mesh.status().message()).c_str());
      return 1;
    }
    for (const ProcessSpec& p : mesh->processes) {
      if (!p.grpc.empty()) targets.push_back({p.name, p.grpc});
    }
  }
  for (const std::string& a : options.grpc) targets.push_back({"", a});
  if (options.config_file.empty() && options.grpc.empty()) {
    targets = {{"collector", "127.0.0.1:9501"},
               {"evaluator", "127.0.0.1:9502"},
               {"notifier", "127.0.0.1:9503"},
               {"reporter", "127.0.0.1:9504"}};
  }
  if (targets.empty()) {
    fprintf(stderr, "error: %s names no process with a gRPC address\n",
            options.config_file.c_str());
    return 1;
  }
  std::vector<ServiceReport> reports;
  bool all_serving = true;
  for (const StatusTarget& t : targets) {
    reports.push_back(Probe(t.name, t.address, *timeout));
    if (reports.back().name.empty()) reports.back().name = "-";
    all_serving = all_serving && reports.back().health == Health::kServing;
  }
  TimestampMs now = SystemClock().NowMs();
  std::string text =
      options.output == "json" ? FormatStatusJson(reports, now) : FormatStatusTable(reports, now);
  fwrite(text.data(), 1, text.size(), stdout);
  return all_serving ? 0 : 1;
}

}  // namespace vigil::cli
