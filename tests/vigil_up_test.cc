// `vigil up` supervises the real mesh: a service killed with SIGKILL is restarted by it,
// the page still arrives, and SIGTERM stops everything cleanly.

#include <signal.h>

#include <gtest/gtest.h>

#include "tests/grpc_clients.h"
#include "tests/support/mesh_fixture.h"

namespace vigil::testing {
namespace {

constexpr char kAlert[] = "MemoryStoreServiceDown";

TEST(VigilUpTest, RestartsAKilledServiceAndStopsCleanly) {
  WebhookReceiver webhook;
  TestMesh mesh(MeshOptions{.alert_for = "3s", .webhook_url = webhook.url()});
  Process up({BinDir() + "/vigil", "up", "--config", mesh.WriteMeshFile()}, mesh.dir(),
             mesh.dir() + "/vigil-up.log");
  for (const char* name : TestMesh::kServices) {
    ASSERT_TRUE(mesh.WaitReady(name)) << name << "\n" << up.Log();
  }
  std::string evaluator = mesh.grpc_address("evaluator");
  auto before = GetStatus(evaluator);
  ASSERT_TRUE(before.has_value());
  ASSERT_GT(before->pid(), 0);
  ASSERT_EQ(kill(static_cast<pid_t>(before->pid()), SIGKILL), 0);
  // vigil up notices and starts a new evaluator.
  ASSERT_TRUE(WaitFor([&] {
    auto now = GetStatus(evaluator);
    return now && now->pid() != before->pid() && now->ready();
  })) << up.Log();

  ASSERT_TRUE(mesh.SetScenario("service_down", "memory_store"));
  ASSERT_TRUE(WaitFor([&] { return webhook.Count("firing", kAlert) > 0; }, std::chrono::seconds(40)))
      << up.Log();

  up.Signal(SIGTERM);
  EXPECT_EQ(up.Wait(std::chrono::seconds(30)), 0) << up.Log();
  for (const char* name : {"collector", "evaluator", "notifier", "reporter"}) {
    EXPECT_FALSE(GetStatus(mesh.grpc_address(name)).has_value()) << name << " still answers";
  }
}

}  // namespace
}  // namespace vigil::testing
