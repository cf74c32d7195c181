#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/clock/clock.h"

namespace vigil::demo {

// What the simulated system is going through.
enum class Scenario {
  kHealthy,            // the origin document's validated figures
  kLatencyRegression,  // retrieval p95 ≈ 180 ms, top-3 accuracy ≈ 88 %
  kServiceDown,        // one dependency answers 503 on its scrape endpoint
  kCostTargetMissed,   // cost reduction ≈ 70 %, monthly projection ≈ $160
  kTokenSpike,         // LLM token counters grow 3x faster
};

std::string_view ScenarioName(Scenario s);
std::optional<Scenario> ParseScenario(std::string_view name);
// Every scenario name, for help texts and error messages.
std::string ScenarioNames();

// The dependencies scraped as targets of their own: /deps/<name>/metrics.
inline constexpr std::array<std::string_view, 3> kDependencies = {"memory_store", "vector_db",
                                                                  "graph_db"};

// A simulated Hybrid RAG system under rollout (origin/rollout-dashboard.md), producing
// Prometheus text exposition. Deterministic: the same seed, scenario switches and `now`
// values give the same output. Time only moves through the `now` arguments (ms), in whole
// seconds: counters integrate per-second rates, gauges follow a slow wave plus noise.
//
// Not thread-safe; the HTTP shell serialises access.
class Simulation {
 public:
  Simulation(uint64_t seed, TimestampMs start);

  // Switches to scenario `name` at `now`. `service` names the dependency that goes down
  // in kServiceDown (empty: memory_store) and is ignored otherwise. InvalidArgument for
  // an unknown scenario or dependency.
  absl::Status SetScenario(std::string_view name, std::string_view service, TimestampMs now);
  Scenario scenario() const { return scenario_; }
  // The dependency that is down, empty unless the scenario is kServiceDown.
  const std::string& down_dependency() const { return down_; }

  // The main /metrics body at `now` (text format 0.0.4, with HELP and TYPE).
  std::string Metrics(TimestampMs now);
  // A dependency's /metrics body; NotFound for an unknown dependency, Unavailable while it
  // is down.
  absl::StatusOr<std::string> DependencyMetrics(std::string_view name, TimestampMs now);

 private:
  static constexpr int kBuckets = 13;  // including +Inf

  // Integrates the counters up to `now`.
  void Advance(TimestampMs now);
  // One simulated second.
  void Step(int64_t second);
  // Uniform in [-1, 1], a pure function of (seed, stream, second).
  double Noise(uint64_t stream, int64_t second) const;
  // base * (1 + wave_amplitude * slow wave + noise_amplitude * noise) at `second`.
  double Wobble(double base, uint64_t stream, int64_t second, double wave, double noise) const;

  uint64_t seed_;
  int64_t second_;  // last second integrated
  Scenario scenario_ = Scenario::kHealthy;
  std::string down_;

  // Counters (fractional accumulators; exposed floored so they stay integral and monotonic).
  double queries_ = 0;
  double errors_ = 0;
  double redis_hits_ = 0, redis_misses_ = 0;
  double vector_hits_ = 0, vector_misses_ = 0;
  double vector_searches_ = 0;
  double graph_queries_ = 0;
  double memory_requests_ = 0;
  double input_tokens_ = 0, output_tokens_ = 0;
  std::array<double, kBuckets> buckets_{};  // non-cumulative expected counts
  double latency_sum_ = 0;
};

}  // namespace vigil::demo
