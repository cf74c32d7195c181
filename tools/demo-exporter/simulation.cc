#include "tools/demo-exporter/simulation.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <numbers>

#include "lib/base/format.h"

namespace vigil::demo {
namespace {

constexpr std::array<double, 12> kBucketBounds = {.005, .01, .025, .05, .075, .1,
                                                  .15,  .2,  .3,   .5,  1,    2.5};
constexpr std::array<const char*, 13> kBucketLabels = {"0.005", "0.01", "0.025", "0.05", "0.075",
                                                       "0.1",   "0.15", "0.2",   "0.3",  "0.5",
                                                       "1",     "2.5",  "+Inf"};

// Retrieval latency is log-normal with this sigma; the median is set so that p95 is
// 45 ms (healthy) or 180 ms (latency regression): p95 = median * exp(1.645 * sigma).
constexpr double kLatencySigma = 0.5;
const double kHealthyMedian = 0.045 / std::exp(1.645 * kLatencySigma);
const double kRegressedMedian = 0.180 / std::exp(1.645 * kLatencySigma);

constexpr struct {
  Scenario scenario;
  std::string_view name;
} kScenarios[] = {
    {Scenario::kHealthy, "healthy"},          {Scenario::kLatencyRegression, "latency_regression"},
    {Scenario::kServiceDown, "service_down"}, {Scenario::kCostTargetMissed, "cost_target_missed"},
    {Scenario::kTokenSpike, "token_spike"},
};

// Noise streams, one per quantity.
enum Stream : uint64_t {
  kQps = 1,
  kLatency,
  kErrors,
  kRedisHit,
  kVectorHit,
  kAccuracy,
  kCostReduction,
  kMonthly,
  kHtdag,
  kHalo,
  kMemory,
  kCpu,
  kMongo,
  kRedisConns,
  kHealth,
  kDepLatency,
};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// Builds a text exposition.
class Writer {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void Sample(std::string_view name, std::string_view labels, double v) {
    if (labels.empty())
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, v);
    else
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, v);
  }
  void Gauge(std::string_view name, std::string_view help, double v) {
    Family(name, "gauge", help);
    Sample(name, "", v);
  }
  void Counter(std::string_view name, std::string_view help, double v) {
    Family(name, "counter", help);
    Sample(name, "", std::floor(v));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string_view ScenarioName(Scenario s) {
  for (const auto& e : kScenarios) {
    if (e.scenario == s) return e.name;
  }
  return "unknown";
}

std::optional<Scenario> ParseScenario(std::string_view name) {
  for (const auto& e : kScenarios) {
    if (e.name == name) return e.scenario;
  }
  return std::nullopt;
}

std::string ScenarioNames() {
  std::string out;
  for (const auto& e : kScenarios) out += out.empty() ? std::string(e.name) : StrCat(", ", e.name);
  return out;
}

Simulation::Simulation(uint64_t seed, TimestampMs start) : seed_(seed), second_(start / 1000) {}

absl::Status Simulation::SetScenario(std::string_view name, std::string_view service,
                                     TimestampMs now) {
  std::optional<Scenario> s = ParseScenario(name);
  if (!s) {
    return absl::InvalidArgumentError(
        StrCat("unknown scenario \"", name, "\" (known: ", ScenarioNames(), ")"));
  }
  std::string down;
  if (*s == Scenario::kServiceDown) {
    down = service.empty() ? "memory_store" : std::string(service);
    bool known = false;
    for (std::string_view d : kDependencies) known = known || d == down;
    if (!known) {
      return absl::InvalidArgumentError(
          StrCat("unknown service \"", down, "\" (known: memory_store, vector_db, graph_db)"));
    }
  }
  Advance(now);  // what happened so far happened under the old scenario
  scenario_ = *s;
  down_ = std::move(down);
  return absl::OkStatus();
}

double Simulation::Noise(uint64_t stream, int64_t second) const {
  uint64_t h =
      SplitMix64(seed_ ^ SplitMix64(stream * 0x100000001b3ULL ^ static_cast<uint64_t>(second)));
  return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 52) - 1.0;
}

double Simulation::Wobble(double base, uint64_t stream, int64_t second, double wave,
                          double noise) const {
  // A slow wave (period 1 h, phase per stream) plus per-second noise.
  double phase = static_cast<double>(stream) * 0.7;
  double w = std::sin(2 * std::numbers::pi * static_cast<double>(second) / 3600.0 + phase);
  return base * (1 + wave * w + noise * Noise(stream, second));
}

void Simulation::Advance(TimestampMs now) {
  int64_t target = now / 1000;
  while (second_ < target) Step(++second_);
}

void Simulation::Step(int64_t s) {
  const double qps = Wobble(50, kQps, s, 0.1, 0.05);
  queries_ += qps;

  double median = scenario_ == Scenario::kLatencyRegression ? kRegressedMedian : kHealthyMedian;
  median *= 1 + 0.03 * Noise(kLatency, s);
  double below = 0;
  for (size_t i = 0; i < kBucketBounds.size(); ++i) {
    double cdf = NormalCdf((std::log(kBucketBounds[i]) - std::log(median)) / kLatencySigma);
    buckets_[i] += qps * (cdf - below);
    below = cdf;
  }
  buckets_[kBuckets - 1] += qps * (1 - below);
  latency_sum_ += qps * median * std::exp(kLatencySigma * kLatencySigma / 2);

  double error_ratio = scenario_ == Scenario::kServiceDown ? 0.005 : 0.0002;
  errors_ += qps * error_ratio * (1 + 0.5 * Noise(kErrors, s));

  double redis_hit = 0.80 + 0.02 * Noise(kRedisHit, s);
  redis_hits_ += qps * redis_hit;
  redis_misses_ += qps * (1 - redis_hit);
  double searches = qps * 0.9;
  vector_searches_ += searches;
  double vector_hit = 0.62 + 0.03 * Noise(kVectorHit, s);
  vector_hits_ += searches * vector_hit;
  vector_misses_ += searches * (1 - vector_hit);
  graph_queries_ += qps * 0.6;
  memory_requests_ += qps;

  double llm_calls = qps * 0.25;
  double token_factor = scenario_ == Scenario::kTokenSpike ? 3 : 1;
  input_tokens_ += llm_calls * 850 * token_factor;
  output_tokens_ += llm_calls * 210 * token_factor;
}

std::string Simulation::Metrics(TimestampMs now) {
  Advance(now);
  const int64_t s = second_;
  const bool latency = scenario_ == Scenario::kLatencyRegression;
  const bool cost = scenario_ == Scenario::kCostTargetMissed;
  Writer w;

  w.Family("hybrid_rag_retrieval_latency_seconds", "histogram",
           "Latency of Hybrid RAG retrievals.");
  double cumulative = 0;
  for (int i = 0; i < kBuckets; ++i) {
    cumulative += buckets_[i];
    w.Sample("hybrid_rag_retrieval_latency_seconds_bucket",
             fmt::format("le=\"{}\"", kBucketLabels[i]), std::floor(cumulative));
  }
  w.Sample("hybrid_rag_retrieval_latency_seconds_sum", "", latency_sum_);
  w.Sample("hybrid_rag_retrieval_latency_seconds_count", "", std::floor(cumulative));

  w.Gauge("hybrid_rag_top3_accuracy_percent", "Top-3 retrieval accuracy, percent.",
          Wobble(latency ? 88.0 : 94.8, kAccuracy, s, 0.002, 0.002));
  w.Counter("hybrid_rag_queries_total", "Hybrid RAG queries served.", queries_);
  w.Counter("hybrid_rag_errors_total", "Hybrid RAG queries that failed.", errors_);
  w.Counter("redis_cache_hits_total", "Redis cache hits.", redis_hits_);
  w.Counter("redis_cache_misses_total", "Redis cache misses.", redis_misses_);
  w.Counter("vector_db_cache_hits_total", "Vector DB cache hits.", vector_hits_);
  w.Counter("vector_db_cache_misses_total", "Vector DB cache misses.", vector_misses_);
  w.Counter("vector_db_searches_total", "Vector DB similarity searches.", vector_searches_);
  w.Counter("graph_db_queries_total", "Graph DB queries.", graph_queries_);

  const double monthly = Wobble(cost ? 160.0 : 99.0, kMonthly, s, 0.005, 0.002);
  w.Gauge("cost_reduction_percent", "Cost reduction against the pre-rollout baseline, percent.",
          Wobble(cost ? 70.0 : 80.5, kCostReduction, s, 0.003, 0.002));
  w.Gauge("monthly_cost_projection_dollars", "Projected monthly cost, dollars.", monthly);
  w.Family("cost_breakdown_dollars", "gauge", "Projected monthly cost by component, dollars.");
  w.Sample("cost_breakdown_dollars", "component=\"llm_api\"", monthly * 0.62);
  w.Sample("cost_breakdown_dollars", "component=\"memory_storage\"", monthly * 0.13);
  w.Sample("cost_breakdown_dollars", "component=\"vector_db\"", monthly * 0.25);
  w.Gauge("total_system_cost", "Projected monthly cost of the whole system, dollars.", monthly);
  w.Counter("llm_input_tokens_total", "LLM input tokens consumed.", input_tokens_);
  w.Counter("llm_output_tokens_total", "LLM output tokens produced.", output_tokens_);

  w.Gauge("genesis_regression_pass_rate", "Regression suite pass rate, percent.", 98.03);
  w.Gauge("genesis_regression_tests_total", "Regression tests in the last run.", 1525);
  w.Gauge("genesis_regression_tests_passed", "Regression tests passed in the last run.", 1495);
  w.Gauge("genesis_regression_tests_failed", "Regression tests failed in the last run.", 30);
  w.Gauge("genesis_regression_tests_errors", "Regression tests in error in the last run.", 0);
  double health = scenario_ == Scenario::kServiceDown ? 91.5 : latency ? 96.2 : 98.62;
  w.Gauge("genesis_system_health", "Overall system health score (0-100).",
          Wobble(health, kHealth, s, 0.001, 0.001));
  w.Gauge("genesis_waltzrl_pass_rate", "WaltzRL safety test pass rate, percent.", 100);
  w.Family("orchestration_latency_seconds", "gauge",
           "Latency of the Phase 1-3 orchestration layers.");
  w.Sample("orchestration_latency_seconds", "component=\"htdag\"",
           Wobble(0.11, kHtdag, s, 0.03, 0.02));
  w.Sample("orchestration_latency_seconds", "component=\"halo\"",
           Wobble(0.11, kHalo, s, 0.03, 0.02));
  w.Gauge("system_memory_usage_percent", "Memory in use, percent.",
          Wobble(62, kMemory, s, 0.05, 0.01));
  w.Gauge("system_cpu_usage_percent", "CPU in use, percent.", Wobble(45, kCpu, s, 0.1, 0.03));
  w.Gauge("mongodb_connections_active", "Open MongoDB connections.",
          down_ == "graph_db" ? 0 : std::round(Wobble(24, kMongo, s, 0.1, 0.05)));
  w.Gauge("redis_connections_active", "Open Redis connections.",
          down_ == "memory_store" ? 0 : std::round(Wobble(48, kRedisConns, s, 0.1, 0.05)));
  w.Family("demo_scenario_info", "gauge", "The scenario the demo exporter is simulating.");
  w.Sample("demo_scenario_info", fmt::format("scenario=\"{}\"", ScenarioName(scenario_)), 1);
  return w.Take();
}

absl::StatusOr<std::string> Simulation::DependencyMetrics(std::string_view name, TimestampMs now) {
  const struct {
    std::string_view name;
    const double* requests;
    double latency;
  } deps[] = {{"memory_store", &memory_requests_, 0.004},
              {"vector_db", &vector_searches_, 0.012},
              {"graph_db", &graph_queries_, 0.008}};
  const double* requests = nullptr;
  double latency_base = 0;
  for (const auto& d : deps) {
    if (d.name == name) {
      requests = d.requests;
      latency_base = d.latency;
    }
  }
  if (requests == nullptr) return absl::NotFoundError(StrCat("unknown dependency \"", name, "\""));
  if (down_ == name) return absl::UnavailableError(StrCat(name, " is down"));

  Advance(now);
  std::string labels = fmt::format("dependency=\"{}\"", name);
  Writer w;
  w.Family("dependency_requests_total", "counter", "Requests served by this dependency.");
  w.Sample("dependency_requests_total", labels, std::floor(*requests));
  w.Family("dependency_latency_seconds", "gauge", "Recent mean request latency.");
  w.Sample("dependency_latency_seconds", labels,
           Wobble(latency_base, kDepLatency, second_, 0.05, 0.05));
  w.Family("dependency_healthy", "gauge", "1 while the dependency passes its own checks.");
  w.Sample("dependency_healthy", labels, 1);
  return w.Take();
}

}  // namespace vigil::demo
