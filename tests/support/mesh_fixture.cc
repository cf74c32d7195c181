#include "tests/support/mesh_fixture.h"

#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "lib/base/format.h"

namespace vigil::testing {

WebhookReceiver::WebhookReceiver() : server_(std::make_unique<httplib::Server>()) {
  server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      res.status = 500;
      return;
    }
    bodies_.push_back(req.body);
    times_.push_back(std::chrono::steady_clock::now());
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

WebhookReceiver::~WebhookReceiver() {
  server_->stop();
  thread_.join();
}

std::string WebhookReceiver::url() const { return StrCat("http://127.0.0.1:", port_, "/hook"); }

std::vector<std::string> WebhookReceiver::bodies() {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_;
}

std::vector<std::chrono::steady_clock::time_point> WebhookReceiver::times() {
  std::lock_guard<std::mutex> lock(mu_);
  return times_;
}

void WebhookReceiver::FailNext(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
}

int WebhookReceiver::Count(const std::string& status, const std::string& alertname) {
  int n = 0;
  for (const std::string& b : bodies()) {
    auto j = nlohmann::json::parse(b, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != status) continue;
    for (const auto& a : j["alerts"]) {
      if (a["labels"].value("alertname", "") == alertname) {
        ++n;
        break;
      }
    }
  }
  return n;
}

TestMesh::TestMesh(MeshOptions options) : options_(std::move(options)) {
  dir_ = MakeTempDir("vigil-mesh");
  for (const char* name : kServices) {
    http_[name] = FreePort();
    grpc_[name] = FreePort();
    bus_[name] = FreePort();
  }
  int exporter = http_["demo-exporter"];
  WriteFile(dir_ + "/prometheus.yml",
            StrCat("global:\n  scrape_interval: ", options_.scrape_interval,
                   "\n  evaluation_interval: 1s\n",
                   "rule_files: [rules.yml]\n",
                   "scrape_configs:\n",
                   "  - job_name: genesis\n    static_configs: [{targets: ['127.0.0.1:", exporter,
                   "']}]\n",
                   "  - job_name: memory_store\n    metrics_path: /deps/memory_store/metrics\n",
                   "    static_configs: [{targets: ['127.0.0.1:", exporter, "']}]\n"));
  WriteFile(
      dir_ + "/rules.yml",
      StrCat("groups:\n  - name: availability\n    rules:\n",
             "      - alert: MemoryStoreServiceDown\n",
             "        expr: up{job=\"memory_store\"} == 0\n", "        for: ", options_.alert_for,
             "\n", "        labels: {severity: P1}\n",
             "        annotations: {summary: \"Memory store {{ $labels.instance }} is down\"}\n",
             "      - record: job:up:sum\n",
             "        expr: sum by (job) (up{job=\"memory_store\"})\n"));
  std::string receivers = "receivers:\n  - name: page\n    file_configs: [{path: pages.jsonl}]\n";
  if (!options_.webhook_url.empty()) {
    receivers += StrCat("    webhook_configs: [{url: '", options_.webhook_url, "'}]\n");
  }
  WriteFile(dir_ + "/alertmanager.yml",
            StrCat("route:\n  receiver: page\n  group_by: [alertname]\n  group_wait: 0s\n",
                   "  group_interval: 1s\n  repeat_interval: 1h\n", receivers));
  WriteFile(dir_ + "/rollout.yml", "rollout:\n  name: test\n");
}

TestMesh::~TestMesh() {
  for (auto& [name, p] : procs_) p->Signal(SIGKILL);
  procs_.clear();
  RemoveTree(dir_);
}

std::string TestMesh::grpc_address(const std::string& name) const {
  return StrCat("127.0.0.1:", grpc_.at(name));
}

std::vector<std::string> TestMesh::Args(const std::string& name) const {
  auto bus = [&](const std::string& n) { return StrCat("--bus.connect=tcp://127.0.0.1:", bus_.at(n)); };
  if (name == "demo-exporter") {
    return {BinDir() + "/vigil-demo-exporter",
            StrCat("--web.listen-address=127.0.0.1:", http_.at(name))};
  }
  std::vector<std::string> args = {
      StrCat(BinDir(), "/vigil-", name),
      StrCat("--web.listen-address=127.0.0.1:", http_.at(name)),
      StrCat("--grpc.listen-address=127.0.0.1:", grpc_.at(name)),
      StrCat("--bus.publish-address=tcp://127.0.0.1:", bus_.at(name)),
      "--log.level=debug",
  };
  if (name == "collector") {
    args.push_back("--config.file=prometheus.yml");
  } else if (name == "evaluator") {
    args.push_back("--config.file=prometheus.yml");
    args.push_back(bus("collector"));
    args.push_back("--rules.alert.resend-delay=" + options_.evaluator_resend_delay);
    args.push_back("--storage.path=data/evaluator");
    args.push_back("--reporter.grpc-address=" + grpc_address("reporter"));
  } else if (name == "notifier") {
    args.push_back("--config.file=alertmanager.yml");
    args.push_back("--storage.path=data/notifier");
    args.push_back(bus("evaluator"));
    args.push_back("--evaluator.grpc-address=" + grpc_address("evaluator"));
  } else if (name == "reporter") {
    args.push_back("--config.file=rollout.yml");
    args.push_back("--storage.path=data/reporter");
    args.push_back(bus("collector"));
    args.push_back(bus("evaluator"));
    args.push_back(bus("notifier"));
  }
  return args;
}

void TestMesh::Start(const std::string& name) {
  procs_[name].reset();  // reap a previous incarnation first
  procs_[name] = std::make_unique<Process>(Args(name), dir_, StrCat(dir_, "/", name, ".log"));
}

void TestMesh::StartAll() {
  for (const char* name : kServices) Start(name);
}

void TestMesh::Kill(const std::string& name, int sig) {
  procs_.at(name)->Signal(sig);
  procs_.at(name)->Wait(std::chrono::seconds(10));
}

bool TestMesh::WaitReady(const std::string& name) {
  std::string path = name == "demo-exporter" ? "/api/scenario" : "/-/ready";
  return WaitFor([&] { return HttpGet(http_.at(name), path).first == 200; });
}

bool TestMesh::SetScenario(const std::string& scenario, const std::string& service) {
  std::string path = StrCat("/api/scenario?name=", scenario);
  if (!service.empty()) path += "&service=" + service;
  return HttpPost(http_.at("demo-exporter"), path).first == 200;
}

std::string TestMesh::WriteMeshFile() const {
  std::string yaml = StrCat("working_dir: .\nrestart: {initial_backoff: 100ms, max_backoff: 1s}\n",
                            "processes:\n");
  for (const char* name : kServices) {
    std::vector<std::string> args = Args(name);
    yaml += StrCat("  - name: ", name, "\n    binary: ", args[0], "\n    args:\n");
    for (size_t i = 1; i < args.size(); ++i) yaml += StrCat("      - \"", args[i], "\"\n");
    if (grpc_.count(name) && std::string(name) != "demo-exporter") {
      yaml += StrCat("    grpc: ", grpc_address(name), "\n");
    }
  }
  std::string path = dir_ + "/mesh.yml";
  WriteFile(path, yaml);
  return path;
}

std::string TestMesh::Logs() const {
  std::string out;
  for (const char* name : kServices) {
    out += StrCat("==== ", name, " ====\n", ReadFile(StrCat(dir_, "/", name, ".log")), "\n");
  }
  return out;
}

}  // namespace vigil::testing
