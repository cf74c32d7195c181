// End to end: a dependency of the system under rollout goes down; the page travels
// target → collector → bus → evaluator → bus → notifier → webhook, the resolution follows,
// and the reporter stores both.

#include <gtest/gtest.h>

#include "tests/grpc_clients.h"
#include "tests/support/mesh_fixture.h"

namespace vigil::testing {
namespace {

constexpr char kAlert[] = "MemoryStoreServiceDown";

TEST(EndToEndTest, ServiceDownPagesThenResolvesAndReporterStoresBoth) {
  WebhookReceiver webhook;
  TestMesh mesh(MeshOptions{.webhook_url = webhook.url()});
  mesh.StartAll();
  for (const char* name : TestMesh::kServices) {
    ASSERT_TRUE(mesh.WaitReady(name)) << name << "\n" << mesh.Logs();
  }
  // Samples flow before anything goes wrong, and nothing pages while healthy.
  ASSERT_TRUE(WaitFor([&] { return Stat(mesh.grpc_address("reporter"), "samples_stored") > 0; }))
      << mesh.Logs();
  EXPECT_EQ(webhook.Count("firing", kAlert), 0);

  ASSERT_TRUE(mesh.SetScenario("service_down", "memory_store"));
  ASSERT_TRUE(WaitFor([&] { return webhook.Count("firing", kAlert) > 0; }, std::chrono::seconds(30)))
      << mesh.Logs();
  // The page is Alertmanager's webhook payload, version 4.
  std::string body = webhook.bodies().front();
  EXPECT_NE(body.find("\"version\":\"4\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"receiver\":\"page\""), std::string::npos) << body;
  EXPECT_NE(body.find("Memory store 127.0.0.1:"), std::string::npos) << body;
  // The file receiver got it too.
  EXPECT_NE(ReadFile(mesh.dir() + "/pages.jsonl").find(kAlert), std::string::npos);

  ASSERT_TRUE(mesh.SetScenario("healthy"));
  ASSERT_TRUE(WaitFor([&] { return webhook.Count("resolved", kAlert) > 0; }, std::chrono::seconds(30)))
      << mesh.Logs();

  std::string reporter = mesh.grpc_address("reporter");
  EXPECT_TRUE(WaitFor([&] { return HasStoredState(reporter, kAlert, "firing"); })) << mesh.Logs();
  EXPECT_TRUE(WaitFor([&] { return HasStoredState(reporter, kAlert, "inactive"); })) << mesh.Logs();
  // The recording rule's series went out on the bus: the reporter stored them.
  EXPECT_TRUE(WaitFor([&] { return StoredSamples(reporter, "job:up:sum") > 0; })) << mesh.Logs();
  // The evaluator observed arrival -> alert event latencies of its evaluations on data.
  auto [code, metrics] = HttpGet(mesh.http_port("evaluator"), "/metrics");
  ASSERT_EQ(code, 200);
  const std::string count = "vigil_evaluator_sample_to_alert_event_seconds_count ";
  const size_t at = metrics.find(count);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GT(std::stod(metrics.substr(at + count.size())), 0) << metrics.substr(at, 80);
}

}  // namespace
}  // namespace vigil::testing
