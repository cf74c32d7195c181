// vigil-demo-exporter: a simulated system under rollout, for demos and end-to-end tests.

#include <httplib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <thread>

#include "lib/service/runtime.h"
#include "lib/service/signals.h"
#include "tools/demo-exporter/server.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();
  CLI::App app{
      "vigil-demo-exporter: serves the metrics of a simulated Hybrid RAG system under "
      "rollout, with switchable failure scenarios"};
  std::string listen = "127.0.0.1:9400";
  std::string scenario = "healthy";
  uint64_t seed = 1;
  app.add_option("--web.listen-address", listen, "Address to listen on (port 0: any).")
      ->capture_default_str();
  app.add_option("--scenario", scenario, "Initial scenario: " + vigil::demo::ScenarioNames() + ".")
      ->capture_default_str();
  app.add_option("--seed", seed, "Seed of the simulation's noise.")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  vigil::demo::DemoExporter exporter(seed, vigil::SystemClock());
  if (scenario != "healthy") {
    if (auto s = exporter.SetScenario(scenario, ""); !s.ok()) {
      std::fprintf(stderr, "error: --scenario: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  httplib::Server server;
  exporter.Register(server);
  std::string host;
  int port = 0;
  if (!vigil::service::SplitHostPort(listen, &host, &port)) {
    std::fprintf(stderr, "error: --web.listen-address: invalid address \"%s\"\n", listen.c_str());
    return 2;
  }
  bool bound =
      port == 0 ? (port = server.bind_to_any_port(host)) > 0 : server.bind_to_port(host, port);
  if (!bound) {
    std::fprintf(stderr, "error: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "demo-exporter: listening on %s:%d, scenario %s\n", host.c_str(), port,
               scenario.c_str());
  std::thread http([&server] { server.listen_after_bind(); });
  vigil::service::SignalWatcher signals([&server] { server.stop(); }, [] {});
  http.join();
  std::fprintf(stderr, "demo-exporter: stopped\n");
  return 0;
}
