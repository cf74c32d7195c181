// Restarts: a service killed with SIGKILL mid-run comes back (restarted here by the test,
// as `vigil up` would) and the mesh converges by itself — the page still arrives, and the
// evaluator's alerts come back as they were (`for` progress, firing).

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/grpc_clients.h"
#include "tests/support/mesh_fixture.h"

namespace vigil::testing {
namespace {

constexpr char kAlert[] = "MemoryStoreServiceDown";

class RestartTest : public ::testing::Test {
 protected:
  void StartMesh(std::string alert_for = "3s") {
    mesh_ = std::make_unique<TestMesh>(
        MeshOptions{.alert_for = alert_for, .webhook_url = webhook_.url()});
    mesh_->StartAll();
    for (const char* name : TestMesh::kServices) {
      ASSERT_TRUE(mesh_->WaitReady(name)) << name << "\n" << mesh_->Logs();
    }
    ASSERT_TRUE(WaitFor([&] { return Stat(mesh_->grpc_address("evaluator"), "head_series") > 0; }))
        << mesh_->Logs();
  }

  WebhookReceiver webhook_;
  std::unique_ptr<TestMesh> mesh_;
};

TEST_F(RestartTest, EvaluatorKilledWhileAlertPendingKeepsItsForProgress) {
  StartMesh("15s");
  ASSERT_TRUE(mesh_->SetScenario("service_down", "memory_store"));
  std::string evaluator = mesh_->grpc_address("evaluator");
  ASSERT_TRUE(WaitFor([&] { return EvaluatorAlerts(evaluator, kAlert).size() == 1; }))
      << mesh_->Logs();
  v1::AlertEvent before = EvaluatorAlerts(evaluator, kAlert)[0];
  ASSERT_EQ(before.state(), v1::ALERT_STATE_PENDING);
  mesh_->Kill("evaluator", SIGKILL);
  mesh_->Start("evaluator");
  ASSERT_TRUE(mesh_->WaitReady("evaluator")) << mesh_->Logs();
  // Back with the same ActiveAt: `for` goes on from where it was, it does not start over.
  auto after = EvaluatorAlerts(evaluator, kAlert);
  ASSERT_EQ(after.size(), 1u) << mesh_->Logs();
  EXPECT_EQ(after[0].active_at_ms(), before.active_at_ms());
  ASSERT_TRUE(
      WaitFor([&] { return webhook_.Count("firing", kAlert) > 0; }, std::chrono::seconds(40)))
      << mesh_->Logs();
  after = EvaluatorAlerts(evaluator, kAlert);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(after[0].active_at_ms(), before.active_at_ms());
}

TEST_F(RestartTest, EvaluatorKilledWhileFiringStaysFiring) {
  StartMesh();
  ASSERT_TRUE(mesh_->SetScenario("service_down", "memory_store"));
  std::string evaluator = mesh_->grpc_address("evaluator");
  ASSERT_TRUE(
      WaitFor([&] { return webhook_.Count("firing", kAlert) > 0; }, std::chrono::seconds(40)))
      << mesh_->Logs();
  v1::AlertEvent before = EvaluatorAlerts(evaluator, kAlert).at(0);
  ASSERT_EQ(before.state(), v1::ALERT_STATE_FIRING);
  mesh_->Kill("evaluator", SIGKILL);
  mesh_->Start("evaluator");
  ASSERT_TRUE(mesh_->WaitReady("evaluator")) << mesh_->Logs();
  // Firing at once, with its original times: no fall back to pending.
  auto after = EvaluatorAlerts(evaluator, kAlert);
  ASSERT_EQ(after.size(), 1u) << mesh_->Logs();
  EXPECT_EQ(after[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(after[0].active_at_ms(), before.active_at_ms());
  EXPECT_EQ(after[0].fired_at_ms(), before.fired_at_ms());
}

TEST_F(RestartTest, EvaluatorRestartedIsBackfilledFromTheReporter) {
  StartMesh();
  std::string evaluator = mesh_->grpc_address("evaluator");
  std::string reporter = mesh_->grpc_address("reporter");
  ASSERT_TRUE(WaitFor([&] { return Stat(reporter, "samples_stored") > 100; })) << mesh_->Logs();
  mesh_->Kill("evaluator", SIGKILL);
  auto killed_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  mesh_->Start("evaluator");
  ASSERT_TRUE(mesh_->WaitReady("evaluator")) << mesh_->Logs();
  // Samples from before the kill can only have come from the reporter: whatever the
  // collector published while no evaluator was subscribed is gone from the bus.
  // The subquery steps at whole seconds: a sample scraped at T.5 is seen from step T+1 on,
  // so a query made within the second of the only sample finds nothing yet. Poll.
  std::optional<double> oldest;
  ASSERT_TRUE(WaitFor([&] {
    oldest =
        QueryFirstValue(evaluator, "min_over_time(timestamp(up{job=\"memory_store\"})[10m:1s])");
    return oldest.has_value();
  })) << mesh_->Logs();
  EXPECT_LT(*oldest * 1000, static_cast<double>(killed_at));
}

// A reload that makes a rule read series no rule read before: the evaluator kept only their
// newest samples (docs/DIFFERENCES.md), so the reload reads their history back from the
// reporter, and the new rule sees the same window as the series that were read all along.
TEST_F(RestartTest, AReloadBackfillsTheSeriesItsNewRulesRead) {
  StartMesh();
  std::string evaluator = mesh_->grpc_address("evaluator");
  auto oldest = [&](const std::string& job) {
    return QueryFirstValue(evaluator, "min_over_time(timestamp(up{job=\"" + job + "\"})[10m:1s])");
  };
  // The rules read memory_store's `up`, not genesis's: once memory_store's window is 25 s
  // long, genesis's is cut to its last 10-20 s.
  std::optional<double> read, unread;
  ASSERT_TRUE(WaitFor(
      [&] {
        read = oldest("memory_store");
        unread = oldest("genesis");
        return read && unread && *unread - *read > 5;
      },
      std::chrono::seconds(60)))
      << mesh_->Logs();

  WriteFile(mesh_->dir() + "/rules.yml",
            "groups:\n  - name: availability\n    rules:\n"
            "      - alert: MemoryStoreServiceDown\n"
            "        expr: up{job=\"memory_store\"} == 0\n"
            "      - record: genesis:up\n"
            "        expr: up{job=\"genesis\"}\n");
  ASSERT_EQ(Reload(evaluator), "");
  // Both jobs scrape the same exporter every second: genesis's history now reaches back as
  // far as memory_store's, within a scrape (further when the reporter stored samples from
  // before the evaluator subscribed).
  read = oldest("memory_store");
  unread = oldest("genesis");
  ASSERT_TRUE(read && unread) << mesh_->Logs();
  EXPECT_LT(*unread - *read, 1.5) << mesh_->Logs();
}

TEST_F(RestartTest, NotifierKilledBeforeTheAlertFires) {
  StartMesh();
  mesh_->Kill("notifier", SIGKILL);
  ASSERT_TRUE(mesh_->SetScenario("service_down", "memory_store"));
  std::string evaluator = mesh_->grpc_address("evaluator");
  // The alert fires while no notifier runs: the evaluator's publication is lost...
  ASSERT_TRUE(
      WaitFor([&] { return Stat(evaluator, "alerts_firing") >= 1; }, std::chrono::seconds(30)))
      << mesh_->Logs();
  mesh_->Start("notifier");
  ASSERT_TRUE(mesh_->WaitReady("notifier")) << mesh_->Logs();
  // ...and the periodic re-send reaches the restarted notifier, which pages.
  ASSERT_TRUE(
      WaitFor([&] { return webhook_.Count("firing", kAlert) > 0; }, std::chrono::seconds(40)))
      << mesh_->Logs();
}

TEST_F(RestartTest, CollectorKilledAndRestartedIsPickedUp) {
  StartMesh();
  std::string reporter = mesh_->grpc_address("reporter");
  mesh_->Kill("collector", SIGKILL);
  mesh_->Start("collector");
  ASSERT_TRUE(mesh_->WaitReady("collector")) << mesh_->Logs();
  double before = Stat(reporter, "samples_stored");
  // Subscribers reconnect on their own: new samples keep arriving.
  ASSERT_TRUE(WaitFor([&] { return Stat(reporter, "samples_stored") > before; })) << mesh_->Logs();
  ASSERT_TRUE(mesh_->SetScenario("service_down", "memory_store"));
  ASSERT_TRUE(
      WaitFor([&] { return webhook_.Count("firing", kAlert) > 0; }, std::chrono::seconds(40)))
      << mesh_->Logs();
}

}  // namespace
}  // namespace vigil::testing
