// The notifier killed with SIGKILL and restarted on the same --storage.path: while a group
// waits out group_wait, while a resolved notification is owed (Alertmanager's #2370), and
// while the webhook keeps failing. The receiver counts every notification it accepted:
// none missing, none duplicated. Down longer than an alert's validity while the evaluator
// still fires it: neither resolved nor re-sent once the evaluator has been heard again.
// A request whose write the store refused is answered with an error and not done.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sqlite3.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "services/notifier/rfc3339.h"
#include "services/notifier/test_support.h"
#include "tests/support/process.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {
namespace {

using testing::FreePort;
using testing::HttpGet;
using testing::HttpPost;
using testing::Process;
using testing::WaitFor;

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class NotifierRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("notifier_restart");
    testing::WriteFile(dir_ + "/am.yml",
                       "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 2s\n"
                       "  group_interval: 1s\n  repeat_interval: 1h\n  routes:\n"
                       "    - matchers: [fast=yes]\n      group_wait: 0s\n"
                       "receivers:\n  - name: hook\n    webhook_configs: [{url: '" +
                           receiver_.url() + "'}]\n");
    http_port_ = FreePort();
    grpc_port_ = FreePort();
  }
  void TearDown() override {
    notifier_.reset();
    if (!HasFailure()) testing::RemoveTree(dir_);
  }

  // `evaluator`: the gRPC address to resync from ("none": no evaluator).
  void Start(const std::string& evaluator = "none") {
    notifier_ = std::make_unique<Process>(
        std::vector<std::string>{
            testing::BinDir() + "/vigil-notifier", "--config.file=" + dir_ + "/am.yml",
            "--web.listen-address=127.0.0.1:" + std::to_string(http_port_),
            "--grpc.listen-address=127.0.0.1:" + std::to_string(grpc_port_),
            "--bus.publish-address=tcp://127.0.0.1:0", "--storage.path=" + dir_ + "/data",
            "--evaluator.grpc-address=" + evaluator},
        dir_, dir_ + "/notifier.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(http_port_, "/-/ready").first == 200; }))
        << notifier_->Log();
  }
  void Kill9() {
    notifier_->Signal(SIGKILL);
    ASSERT_EQ(notifier_->Wait(), -SIGKILL);
  }
  void Post(const std::string& alertname, TimestampMs starts, TimestampMs ends,
            const std::string& extra = "") {
    std::string body = R"([{"labels":{"alertname":")" + alertname + "\"" + extra +
                       R"(},"startsAt":")" + FormatGoTime(starts) + "\"";
    if (ends != 0) body += R"(,"endsAt":")" + FormatGoTime(ends) + "\"";
    body += "}]";
    auto [code, text] = HttpPost(http_port_, "/api/v2/alerts", body);
    ASSERT_EQ(code, 200) << text;
  }
  double Stat(const std::string& key) { return NotifierStat(grpc_port_, key); }
  // Runs SQL on the notifier's database from this process (triggers that fail its writes
  // as a broken disk would).
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/data/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10'000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_free(error);
    sqlite3_close(db);
  }

  RecordingWebhook receiver_;
  std::string dir_;
  int http_port_ = 0, grpc_port_ = 0;
  std::unique_ptr<Process> notifier_;
};

TEST_F(NotifierRestartTest, KilledWhileGroupPendingAndWhileResolvedIsOwed) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const TimestampMs t0 = NowMs();
  ASSERT_NO_FATAL_FAILURE(Post("Pending", t0, 0));
  ASSERT_NO_FATAL_FAILURE(Kill9());  // within group_wait: nothing sent yet
  EXPECT_EQ(receiver_.requests().size(), 0u);

  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(WaitFor([&] { return receiver_.Accepted("firing", "Pending") == 1; }))
      << notifier_->Log();
  ASSERT_TRUE(WaitFor([&] { return Stat("notifications_sent") >= 1; })) << notifier_->Log();

  // An acknowledgement over gRPC is kept across the crash below.
  {
    auto stub = v1::Notifier::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                                          grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    v1::AcknowledgeRequest req;
    req.set_group_key(R"({}:{alertname="Pending"})");
    req.set_who("oncall");
    req.set_comment("rolling back");
    v1::Acknowledgement ack;
    ASSERT_TRUE(stub->Acknowledge(&ctx, req, &ack).ok());
    EXPECT_GE(ack.at_ms(), t0);
  }

  // Resolved, and killed before the group's next flush (group_interval 1s).
  ASSERT_NO_FATAL_FAILURE(Post("Pending", t0, NowMs()));
  ASSERT_NO_FATAL_FAILURE(Kill9());
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(WaitFor([&] { return receiver_.Accepted("resolved", "Pending") == 1; }))
      << notifier_->Log();
  // The delivery is recorded by the notifier a moment after the receiver answered; a kill
  // inside that moment re-sends it with the same Idempotency-Key (at-least-once). Wait
  // for the record so that this run checks for true duplicates.
  ASSERT_TRUE(WaitFor([&] { return Stat("notifications_sent") >= 1; })) << notifier_->Log();

  // Once more: the resolved alert is still held, its group is flushed, nothing is repeated.
  ASSERT_NO_FATAL_FAILURE(Kill9());
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(WaitFor([&] { return Stat("group_flushes") >= 1; })) << notifier_->Log();
  EXPECT_EQ(receiver_.Accepted("firing", "Pending"), 1);
  EXPECT_EQ(receiver_.Accepted("resolved", "Pending"), 1);
  EXPECT_EQ(receiver_.requests().size(), 2u);
  {
    auto stub = v1::Notifier::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                                          grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    v1::ListAcknowledgementsResponse resp;
    ASSERT_TRUE(stub->ListAcknowledgements(&ctx, v1::ListAcknowledgementsRequest(), &resp).ok());
    ASSERT_EQ(resp.acknowledgements_size(), 1);
    EXPECT_EQ(resp.acknowledgements(0).who(), "oncall");
    EXPECT_EQ(resp.acknowledgements(0).comment(), "rolling back");
  }
}

TEST_F(NotifierRestartTest, KilledWhileWebhookFails) {
  receiver_.SetFailing(true);
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Post("Failing", NowMs(), 0, R"(,"fast":"yes")"));
  ASSERT_TRUE(WaitFor([&] { return receiver_.requests().size() >= 2; })) << notifier_->Log();
  ASSERT_NO_FATAL_FAILURE(Kill9());
  receiver_.SetFailing(false);

  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(WaitFor([&] { return receiver_.Accepted("firing", "Failing") == 1; }))
      << notifier_->Log();
  // Several more flushes of the group (group_interval 1s): nothing new to say.
  ASSERT_TRUE(WaitFor([&] { return Stat("group_flushes") >= 3; })) << notifier_->Log();
  EXPECT_EQ(receiver_.Accepted("firing", "Failing"), 1);
  // Every attempt, before and after the crash, carried the same idempotency key.
  std::set<std::string> keys;
  for (const auto& r : receiver_.requests()) keys.insert(r.key);
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_FALSE(keys.begin()->empty());

  // And after one more crash, still nothing repeated.
  ASSERT_TRUE(WaitFor([&] { return Stat("notifications_sent") >= 1; })) << notifier_->Log();
  ASSERT_NO_FATAL_FAILURE(Kill9());
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(WaitFor([&] { return Stat("group_flushes") >= 2; })) << notifier_->Log();
  EXPECT_EQ(receiver_.Accepted("firing", "Failing"), 1);
}

// An evaluator's gRPC API whose ListAlerts answers only once the test opens it.
class GatedEvaluator final : public v1::Evaluator::Service {
 public:
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse* resp) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
    *resp->mutable_alerts() = answer_.alerts();
    return grpc::Status::OK;
  }
  void Open(v1::AlertBatch answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
    open_ = true;
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  v1::AlertBatch answer_;
};

// Alertmanager forgets alerts across a restart; vigil keeps them, with the end each had.
// Down for longer than an alert's validity (Prometheus re-sends with endsAt a few minutes
// ahead), the stored end has passed although the alert still fires: the notifier flushes
// nothing until the evaluator's resync has answered, which refreshes the alert, so no
// resolved notification (and no firing one after it) goes out.
TEST_F(NotifierRestartTest, DownLongerThanAnAlertsValidityWhileItStillFires) {
  GatedEvaluator evaluator;
  int evaluator_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &evaluator_port);
  builder.RegisterService(&evaluator);
  auto server = builder.BuildAndStart();
  ASSERT_NE(evaluator_port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(evaluator_port);
  const labels::Labels sticky{{"alertname", "Sticky"}, {"fast", "yes"}};

  evaluator.Open(v1::AlertBatch());  // nothing active yet
  ASSERT_NO_FATAL_FAILURE(Start(address));
  const TimestampMs t0 = NowMs();
  const TimestampMs valid_until = t0 + 4'000;
  ASSERT_NO_FATAL_FAILURE(Post("Sticky", t0, valid_until, R"(,"fast":"yes")"));
  ASSERT_TRUE(WaitFor([&] { return receiver_.Accepted("firing", "Sticky") == 1; }))
      << notifier_->Log();
  ASSERT_TRUE(WaitFor([&] { return Stat("notifications_sent") >= 1; })) << notifier_->Log();
  ASSERT_NO_FATAL_FAILURE(Kill9());

  // Down until the stored end has passed; the evaluator still fires the alert.
  ASSERT_TRUE(WaitFor([&] { return NowMs() > valid_until + 500; }));
  evaluator.Close();
  ASSERT_NO_FATAL_FAILURE(Start(address));
  EXPECT_EQ(Stat("awaiting_resync"), 1);
  EXPECT_EQ(Stat("group_flushes"), 0);
  v1::AlertBatch firing;  // as the evaluator answers: fired at t0, valid from now on
  AddFiringEvent(sticky, NowMs(), 3'600'000, &firing);
  firing.mutable_alerts(0)->set_active_at_ms(t0);
  firing.mutable_alerts(0)->set_fired_at_ms(t0);
  evaluator.Open(firing);
  ASSERT_TRUE(WaitFor([&] { return Stat("awaiting_resync") == 0; })) << notifier_->Log();
  // The group flushes again (group_interval 1s) with the alert refreshed: nothing to say.
  ASSERT_TRUE(WaitFor([&] { return Stat("group_flushes") >= 2; }))
      << notifier_->Log() << " flushes " << Stat("group_flushes") << " groups " << Stat("groups")
      << " active " << Stat("alerts_active");
  EXPECT_EQ(receiver_.Accepted("resolved", "Sticky"), 0);
  EXPECT_EQ(receiver_.Accepted("firing", "Sticky"), 1);
  EXPECT_EQ(receiver_.requests().size(), 1u);
  notifier_.reset();
  server->Shutdown();
}

// An evaluator that starts with the notifier may refuse its first resync: it is retried
// (for up to 10 s) and groups wait for it rather than flush without its word.
TEST_F(NotifierRestartTest, AResyncRefusedAtStartIsRetried) {
  const int evaluator_port = FreePort();
  ASSERT_NO_FATAL_FAILURE(Start("127.0.0.1:" + std::to_string(evaluator_port)));
  auto failed_resyncs = [&] {
    const std::string metrics = HttpGet(http_port_, "/metrics").second;
    const std::string key = R"(vigil_notifier_resyncs_total{result="failed"} )";
    const size_t at = metrics.find(key);
    return at == std::string::npos ? 0.0 : std::stod(metrics.substr(at + key.size()));
  };
  ASSERT_TRUE(WaitFor([&] { return failed_resyncs() >= 1; })) << notifier_->Log();
  EXPECT_EQ(Stat("awaiting_resync"), 1);

  GatedEvaluator evaluator;
  evaluator.Open(v1::AlertBatch());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(evaluator_port),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&evaluator);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Stat("awaiting_resync") == 0; })) << notifier_->Log();
  EXPECT_THAT(notifier_->Log(), ::testing::HasSubstr("resynced 0 alert(s)"));
  notifier_.reset();
  server->Shutdown();
}

// A POSTed alert or silence the store refused is answered 500 and is not done: the silence
// is not live, and the client's retry of both is stored (not "already there"), so both
// survive a kill -9.
TEST_F(NotifierRestartTest, ARequestTheStoreRefusedIsAnErrorAndNotDone) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const TimestampMs t0 = NowMs();
  for (const char* table : {"alerts", "silences"}) {
    Sql(std::string("CREATE TRIGGER fail_") + table + " BEFORE INSERT ON " + table +
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  }
  const std::string alert =
      R"([{"labels":{"alertname":"Disk"},"startsAt":")" + FormatGoTime(t0) + R"("}])";
  const std::string silence =
      R"({"matchers":[{"name":"alertname","value":"Disk","isRegex":false}],"startsAt":")" +
      FormatGoTime(t0) + R"(","endsAt":")" + FormatGoTime(t0 + 3'600'000) +
      R"(","createdBy":"oncall","comment":"disk swap"})";
  auto [code, text] = HttpPost(http_port_, "/api/v2/alerts", alert);
  EXPECT_EQ(code, 500) << text;
  std::tie(code, text) = HttpPost(http_port_, "/api/v2/silences", silence);
  EXPECT_EQ(code, 500) << text;
  EXPECT_EQ(HttpGet(http_port_, "/api/v2/silences").second, "[]\n");  // as Alertmanager

  Sql("DROP TRIGGER fail_alerts; DROP TRIGGER fail_silences");
  std::tie(code, text) = HttpPost(http_port_, "/api/v2/alerts", alert);
  EXPECT_EQ(code, 200) << text;
  std::tie(code, text) = HttpPost(http_port_, "/api/v2/silences", silence);
  EXPECT_EQ(code, 200) << text;
  // Live, the retry made one silence, not two (the refused one is nowhere, not even in
  // memory, where a restart would hide it).
  auto silences = nlohmann::json::parse(HttpGet(http_port_, "/api/v2/silences").second);
  ASSERT_EQ(silences.size(), 1u) << silences;
  const std::string id = silences[0]["id"];
  ASSERT_NO_FATAL_FAILURE(Kill9());
  ASSERT_NO_FATAL_FAILURE(Start());
  auto alerts = nlohmann::json::parse(HttpGet(http_port_, "/api/v2/alerts").second);
  ASSERT_EQ(alerts.size(), 1u) << alerts;
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "Disk");
  silences = nlohmann::json::parse(HttpGet(http_port_, "/api/v2/silences").second);
  ASSERT_EQ(silences.size(), 1u) << silences;  // the one answered 200 survived
  EXPECT_EQ(silences[0]["id"], id);
  EXPECT_EQ(silences[0]["comment"], "disk swap");
}

}  // namespace
}  // namespace vigil::notifier
