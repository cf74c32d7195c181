#pragma once

// A whole vigil mesh for cross-process tests: the five real binaries on free loopback
// ports, with configs written into a temp dir, and a webhook receiver to page.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"

namespace httplib {
class Server;
}

namespace vigil::testing {

// An HTTP server in the test process that records every POST body it receives.
class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  int port() const { return port_; }
  std::string url() const;
  std::vector<std::string> bodies();
  // When each body arrived, in the same order.
  std::vector<std::chrono::steady_clock::time_point> times();
  // Bodies whose JSON has "status" == status and an alert named `alertname`.
  int Count(const std::string& status, const std::string& alertname);
  // Answer 500 to the next `n` requests (to exercise retries).
  void FailNext(int n);

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  int fail_next_ = 0;
};

struct MeshOptions {
  std::string alert_for = "2s";
  std::string webhook_url;                // empty: file receiver only
  std::string evaluator_resend_delay = "1s";
  std::string scrape_interval = "1s";
};

class TestMesh {
 public:
  static constexpr const char* kServices[] = {"demo-exporter", "collector", "evaluator",
                                              "notifier", "reporter"};

  explicit TestMesh(MeshOptions options);
  ~TestMesh();

  const std::string& dir() const { return dir_; }
  int http_port(const std::string& name) const { return http_.at(name); }
  int grpc_port(const std::string& name) const { return grpc_.at(name); }
  std::string grpc_address(const std::string& name) const;

  void Start(const std::string& name);
  void StartAll();
  void Kill(const std::string& name, int sig);
  Process& process(const std::string& name) { return *procs_.at(name); }
  // Waits until the service answers /-/ready (the exporter: /api/scenario).
  bool WaitReady(const std::string& name);
  bool SetScenario(const std::string& scenario, const std::string& service = "");
  // Writes a mesh file for `vigil up` that runs the same processes; returns its path.
  std::string WriteMeshFile() const;
  // Every process's log, for failure messages.
  std::string Logs() const;

 private:
  std::vector<std::string> Args(const std::string& name) const;

  MeshOptions options_;
  std::string dir_;
  std::map<std::string, int> http_, grpc_, bus_;
  std::map<std::string, std::unique_ptr<Process>> procs_;
};

}  // namespace vigil::testing
