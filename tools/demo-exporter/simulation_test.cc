#include "tools/demo-exporter/simulation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "lib/expfmt/text_parser.h"

namespace vigil::demo {
namespace {

constexpr TimestampMs kStart = 1'700'000'000'000;
constexpr TimestampMs kMinute = 60'000;

// Parsed samples keyed by their exposition form, e.g.
// `cost_breakdown_dollars{component="llm_api"}`.
std::map<std::string, double> Parse(const std::string& text) {
  auto samples = expfmt::ParseAll(text);
  EXPECT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  std::map<std::string, double> out;
  if (!samples.ok()) return out;
  for (const auto& s : *samples) {
    EXPECT_TRUE(out.emplace(s.labels.ToExposition(), s.value).second)
        << "duplicate " << s.labels.ToExposition();
  }
  return out;
}

// histogram_quantile(q, increase over [a, b]) with Prometheus's linear interpolation.
double Quantile(double q, const std::map<std::string, double>& a,
                const std::map<std::string, double>& b) {
  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.15",
                       "0.2",   "0.3",  "0.5",   "1",    "2.5",   "+Inf"};
  std::vector<std::pair<double, double>> buckets;  // (upper bound, count)
  for (const char* le : les) {
    std::string key = std::string("hybrid_rag_retrieval_latency_seconds_bucket{le=\"") + le + "\"}";
    double bound = std::string(le) == "+Inf" ? INFINITY : std::stod(le);
    buckets.emplace_back(bound, b.at(key) - a.at(key));
  }
  double rank = q * buckets.back().second;
  double prev_bound = 0, prev_count = 0;
  for (auto [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return prev_bound;
      return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count);
    }
    prev_bound = bound;
    prev_count = count;
  }
  return NAN;
}

double HitRate(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  double hits = b.at("redis_cache_hits_total") - a.at("redis_cache_hits_total");
  double misses = b.at("redis_cache_misses_total") - a.at("redis_cache_misses_total");
  return hits / (hits + misses);
}

TEST(SimulationTest, ExpositionParsesWithHelpAndTypeAndHealthyFigures) {
  Simulation sim(42, kStart);
  std::string text = sim.Metrics(kStart + 10 * kMinute);
  EXPECT_NE(text.find("# HELP hybrid_rag_retrieval_latency_seconds "), std::string::npos);
  EXPECT_NE(text.find("# TYPE hybrid_rag_retrieval_latency_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE hybrid_rag_queries_total counter\n"), std::string::npos);
  auto a = Parse(text);
  auto b = Parse(sim.Metrics(kStart + 20 * kMinute));

  for (const char* name : {"hybrid_rag_top3_accuracy_percent",
                           "redis_cache_hits_total",
                           "redis_cache_misses_total",
                           "vector_db_cache_hits_total",
                           "vector_db_cache_misses_total",
                           "hybrid_rag_queries_total",
                           "vector_db_searches_total",
                           "graph_db_queries_total",
                           "hybrid_rag_errors_total",
                           "cost_reduction_percent",
                           "monthly_cost_projection_dollars",
                           "total_system_cost",
                           "llm_input_tokens_total",
                           "llm_output_tokens_total",
                           "genesis_regression_pass_rate",
                           "genesis_regression_tests_total",
                           "genesis_regression_tests_passed",
                           "genesis_regression_tests_failed",
                           "genesis_regression_tests_errors",
                           "genesis_system_health",
                           "genesis_waltzrl_pass_rate",
                           "system_memory_usage_percent",
                           "system_cpu_usage_percent",
                           "mongodb_connections_active",
                           "redis_connections_active",
                           "hybrid_rag_retrieval_latency_seconds_sum",
                           "hybrid_rag_retrieval_latency_seconds_count"}) {
    EXPECT_TRUE(b.contains(name)) << name;
  }
  EXPECT_EQ(b.at("demo_scenario_info{scenario=\"healthy\"}"), 1);
  EXPECT_TRUE(b.contains("cost_breakdown_dollars{component=\"llm_api\"}"));
  EXPECT_TRUE(b.contains("cost_breakdown_dollars{component=\"memory_storage\"}"));
  EXPECT_TRUE(b.contains("cost_breakdown_dollars{component=\"vector_db\"}"));
  EXPECT_TRUE(b.contains("orchestration_latency_seconds{component=\"htdag\"}"));
  EXPECT_TRUE(b.contains("orchestration_latency_seconds{component=\"halo\"}"));

  EXPECT_NEAR(Quantile(0.95, a, b), 0.045, 0.008);
  EXPECT_NEAR(b.at("hybrid_rag_top3_accuracy_percent"), 94.8, 0.5);
  EXPECT_NEAR(HitRate(a, b), 0.80, 0.01);
  double queries = b.at("hybrid_rag_queries_total") - a.at("hybrid_rag_queries_total");
  EXPECT_NEAR(queries / 600, 50, 6);
  double errors = b.at("hybrid_rag_errors_total") - a.at("hybrid_rag_errors_total");
  EXPECT_NEAR(errors / queries, 0.0002, 0.0001);
  EXPECT_NEAR(b.at("cost_reduction_percent"), 80.5, 0.5);
  EXPECT_NEAR(b.at("monthly_cost_projection_dollars"), 99, 1.5);
  EXPECT_DOUBLE_EQ(b.at("genesis_regression_pass_rate"), 98.03);
  EXPECT_EQ(b.at("genesis_regression_tests_total"), 1525);
  EXPECT_EQ(b.at("genesis_regression_tests_passed"), 1495);
  EXPECT_EQ(b.at("genesis_regression_tests_failed"), 30);
  EXPECT_EQ(b.at("genesis_regression_tests_errors"), 0);
  EXPECT_NEAR(b.at("genesis_system_health"), 98.62, 0.3);
  EXPECT_EQ(b.at("genesis_waltzrl_pass_rate"), 100);
  EXPECT_NEAR(b.at("orchestration_latency_seconds{component=\"htdag\"}"), 0.11, 0.01);
  EXPECT_EQ(b.at("hybrid_rag_retrieval_latency_seconds_count"),
            b.at("hybrid_rag_retrieval_latency_seconds_bucket{le=\"+Inf\"}"));
}

TEST(SimulationTest, CountersNeverDecreaseAcrossTimeAndScenarios) {
  Simulation sim(7, kStart);
  std::map<std::string, double> prev = Parse(sim.Metrics(kStart));
  const char* scenarios[] = {"latency_regression", "token_spike", "service_down",
                             "cost_target_missed", "healthy"};
  TimestampMs t = kStart;
  for (int i = 0; i < 200; ++i) {
    t += 15'000 + (i % 7) * 1'000;
    if (i % 40 == 39) ASSERT_TRUE(sim.SetScenario(scenarios[i / 40], "", t).ok());
    auto cur = Parse(sim.Metrics(t));
    for (const auto& [key, value] : cur) {
      bool counter =
          key.find("_total") != std::string::npos || key.find("_bucket") != std::string::npos ||
          key.find("_count") != std::string::npos || key.find("_sum") != std::string::npos;
      if (!counter || key.starts_with("genesis_")) continue;
      ASSERT_TRUE(prev.contains(key)) << key;
      EXPECT_GE(value, prev[key]) << key << " at step " << i;
    }
    prev = std::move(cur);
  }
  EXPECT_GT(prev["hybrid_rag_queries_total"], 0);
}

TEST(SimulationTest, DeterministicGivenSeedAndTime) {
  Simulation a(3, kStart), b(3, kStart), c(4, kStart);
  // Scrape a often and b once: the same time gives the same numbers.
  for (int i = 1; i <= 20; ++i) a.Metrics(kStart + i * 15'000);
  EXPECT_EQ(a.Metrics(kStart + 300'000), b.Metrics(kStart + 300'000));
  EXPECT_NE(c.Metrics(kStart + 300'000), b.Metrics(kStart + 300'000));
}

TEST(SimulationTest, LatencyRegressionRaisesP95AndLowersAccuracy) {
  Simulation sim(1, kStart);
  ASSERT_TRUE(sim.SetScenario("latency_regression", "", kStart).ok());
  auto a = Parse(sim.Metrics(kStart + 5 * kMinute));
  auto b = Parse(sim.Metrics(kStart + 15 * kMinute));
  double p95 = Quantile(0.95, a, b);
  EXPECT_GT(p95, 0.1);
  EXPECT_NEAR(p95, 0.18, 0.03);
  EXPECT_NEAR(b.at("hybrid_rag_top3_accuracy_percent"), 88, 0.5);
  EXPECT_EQ(b.at("demo_scenario_info{scenario=\"latency_regression\"}"), 1);
}

TEST(SimulationTest, ServiceDownTakesOnlyThatDependencyDown) {
  Simulation sim(1, kStart);
  for (std::string_view dep : kDependencies) {
    auto body = sim.DependencyMetrics(dep, kStart + kMinute);
    ASSERT_TRUE(body.ok()) << dep;
    auto m = Parse(*body);
    EXPECT_GT(m.at("dependency_requests_total{dependency=\"" + std::string(dep) + "\"}"), 0);
  }
  ASSERT_TRUE(sim.SetScenario("service_down", "vector_db", kStart + kMinute).ok());
  EXPECT_EQ(sim.down_dependency(), "vector_db");
  EXPECT_TRUE(
      absl::IsUnavailable(sim.DependencyMetrics("vector_db", kStart + 2 * kMinute).status()));
  EXPECT_TRUE(sim.DependencyMetrics("graph_db", kStart + 2 * kMinute).ok());
  EXPECT_TRUE(absl::IsNotFound(sim.DependencyMetrics("nope", kStart).status()));
  Parse(sim.Metrics(kStart + 2 * kMinute));  // the main endpoint stays up

  ASSERT_TRUE(sim.SetScenario("service_down", "", kStart + 3 * kMinute).ok());
  EXPECT_EQ(sim.down_dependency(), "memory_store");
  EXPECT_TRUE(sim.DependencyMetrics("vector_db", kStart + 3 * kMinute).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(sim.SetScenario("service_down", "kafka", kStart)));
  EXPECT_TRUE(absl::IsInvalidArgument(sim.SetScenario("meteor", "", kStart)));
  EXPECT_EQ(sim.down_dependency(), "memory_store");  // a rejected switch changes nothing
  ASSERT_TRUE(sim.SetScenario("healthy", "", kStart + 4 * kMinute).ok());
  EXPECT_TRUE(sim.DependencyMetrics("memory_store", kStart + 4 * kMinute).ok());
}

TEST(SimulationTest, CostTargetMissedMovesCostFigures) {
  Simulation sim(1, kStart);
  ASSERT_TRUE(sim.SetScenario("cost_target_missed", "", kStart).ok());
  auto m = Parse(sim.Metrics(kStart + kMinute));
  EXPECT_NEAR(m.at("cost_reduction_percent"), 70, 0.5);
  EXPECT_NEAR(m.at("monthly_cost_projection_dollars"), 160, 2.5);
  EXPECT_LT(m.at("cost_reduction_percent"), 75);  // the P0 blocker threshold
}

TEST(SimulationTest, TokenSpikeTriplesTokenRate) {
  Simulation healthy(5, kStart), spike(5, kStart);
  ASSERT_TRUE(spike.SetScenario("token_spike", "", kStart).ok());
  auto h = Parse(healthy.Metrics(kStart + 10 * kMinute));
  auto s = Parse(spike.Metrics(kStart + 10 * kMinute));
  EXPECT_NEAR(s.at("llm_input_tokens_total") / h.at("llm_input_tokens_total"), 3, 0.01);
  EXPECT_NEAR(s.at("llm_output_tokens_total") / h.at("llm_output_tokens_total"), 3, 0.01);
  EXPECT_NEAR(s.at("hybrid_rag_queries_total"), h.at("hybrid_rag_queries_total"), 1);
}

}  // namespace
}  // namespace vigil::demo
