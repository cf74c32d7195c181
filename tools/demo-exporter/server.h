#pragma once

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "lib/clock/clock.h"
#include "tools/demo-exporter/simulation.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace vigil::demo {

// The demo exporter's HTTP face over a Simulation:
//   GET  /metrics                 the system's metrics (text format 0.0.4)
//   GET  /deps/<name>/metrics     a dependency's metrics; 503 while it is down
//   GET  /api/scenario            {"scenario": ..., "service": ...}
//   POST /api/scenario?name=<s>[&service=<dep>]   switch scenario; 400 if unknown
//   GET  /                        a short index
// Thread-safe: httplib's worker threads share the simulation under a mutex.
class DemoExporter {
 public:
  DemoExporter(uint64_t seed, const Clock& clock);
  DemoExporter(const DemoExporter&) = delete;
  DemoExporter& operator=(const DemoExporter&) = delete;

  // Adds the routes; the exporter must outlive the server.
  void Register(httplib::Server& server);

  // Switches the scenario as POST /api/scenario does; logs the switch to stderr.
  absl::Status SetScenario(std::string_view name, std::string_view service);

 private:
  std::string ScenarioJson() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  mutable absl::Mutex mu_;
  Simulation sim_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::demo
