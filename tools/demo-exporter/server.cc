#include "tools/demo-exporter/server.h"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "lib/base/format.h"

namespace vigil::demo {
namespace {

constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";

void Json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

}  // namespace

DemoExporter::DemoExporter(uint64_t seed, const Clock& clock)
    : clock_(clock), sim_(seed, clock.NowMs()) {}

std::string DemoExporter::ScenarioJson() const {
  nlohmann::json j = {{"scenario", std::string(ScenarioName(sim_.scenario()))}};
  if (!sim_.down_dependency().empty()) j["service"] = sim_.down_dependency();
  return j.dump();
}

absl::Status DemoExporter::SetScenario(std::string_view name, std::string_view service) {
  absl::MutexLock lock(&mu_);
  std::string before(ScenarioName(sim_.scenario()));
  if (auto s = sim_.SetScenario(name, service, clock_.NowMs()); !s.ok()) return s;
  std::string detail =
      sim_.down_dependency().empty() ? "" : StrCat(" (", sim_.down_dependency(), " down)");
  std::fprintf(stderr, "demo-exporter: scenario %s -> %s%s\n", before.c_str(),
               std::string(ScenarioName(sim_.scenario())).c_str(), detail.c_str());
  return absl::OkStatus();
}

void DemoExporter::Register(httplib::Server& server) {
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    absl::MutexLock lock(&mu_);
    res.set_content(sim_.Metrics(clock_.NowMs()), kTextFormat);
  });
  server.Get(R"(/deps/([a-z_]+)/metrics)",
             [this](const httplib::Request& req, httplib::Response& res) {
               absl::MutexLock lock(&mu_);
               auto body = sim_.DependencyMetrics(req.matches[1].str(), clock_.NowMs());
               if (body.ok()) {
                 res.set_content(*body, kTextFormat);
               } else {
                 res.status = absl::IsNotFound(body.status()) ? 404 : 503;
                 res.set_content(StrCat(body.status().message(), "\n"), "text/plain");
               }
             });
  server.Get("/api/scenario", [this](const httplib::Request&, httplib::Response& res) {
    absl::MutexLock lock(&mu_);
    res.set_content(ScenarioJson() + "\n", "application/json");
  });
  // A content-reader handler, so a POST without a body (`curl -X POST URL`) is accepted.
  server.Post("/api/scenario", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader&) {
    if (!req.has_param("name")) {
      Json(res, 400,
           {{"error", StrCat("missing parameter \"name\" (one of ", ScenarioNames(), ")")}});
      return;
    }
    absl::Status s = SetScenario(req.get_param_value("name"), req.get_param_value("service"));
    if (!s.ok()) {
      Json(res, 400, {{"error", std::string(s.message())}});
      return;
    }
    absl::MutexLock lock(&mu_);
    res.set_content(ScenarioJson() + "\n", "application/json");
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(StrCat("vigil demo exporter\n\n"
                           "GET  /metrics\n"
                           "GET  /deps/{memory_store,vector_db,graph_db}/metrics\n"
                           "GET  /api/scenario\n"
                           "POST /api/scenario?name=<scenario>[&service=<dependency>]\n\n"
                           "scenarios: ",
                           ScenarioNames(), "\n"),
                    "text/plain");
  });
}

}  // namespace vigil::demo
