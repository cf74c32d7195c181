// Debian's real amtool (Alertmanager 0.25's CLI) against the running vigil-notifier:
// silence add/query/expire, alert query with silenced and inhibited alerts, config show,
// and silences surviving a SIGKILL.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;
using testing::HttpGet;
using testing::HttpPost;
using ::testing::Not;
using testing::Process;
using testing::RunCommand;
using testing::WaitFor;

constexpr char kAmtool[] = "/usr/bin/amtool";

class AmtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kAmtool, X_OK) != 0) {
      GTEST_SKIP() << kAmtool << " not installed (Debian package prometheus-alertmanager)";
    }
    dir_ = testing::MakeTempDir("notifier_amtool");
    testing::WriteFile(dir_ + "/am.yml",
                       "route:\n  receiver: team\n  group_by: [alertname]\n  group_wait: 0s\n"
                       "receivers:\n  - name: team\n    file_configs: [{path: '" +
                           dir_ +
                           "/pages.jsonl'}]\n"
                           "inhibit_rules:\n  - source_matchers: [severity=critical]\n"
                           "    target_matchers: [severity=warning]\n    equal: [cluster]\n");
    port_ = testing::FreePort();
    grpc_port_ = testing::FreePort();
  }
  void TearDown() override {
    notifier_.reset();
    if (!dir_.empty() && !HasFailure()) testing::RemoveTree(dir_);
  }
  void Start() {
    notifier_ = std::make_unique<Process>(
        std::vector<std::string>{
            testing::BinDir() + "/vigil-notifier", "--config.file=" + dir_ + "/am.yml",
            "--web.listen-address=127.0.0.1:" + std::to_string(port_),
            "--grpc.listen-address=127.0.0.1:" + std::to_string(grpc_port_),
            "--bus.publish-address=tcp://127.0.0.1:0", "--storage.path=" + dir_ + "/data",
            "--evaluator.grpc-address=none"},
        dir_, dir_ + "/notifier.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(port_, "/-/ready").first == 200; }))
        << notifier_->Log();
  }
  // Runs amtool; returns its output, failing the test on a non-zero exit.
  std::string Amtool(std::vector<std::string> args, int want_rc = 0) {
    args.insert(args.begin(),
                {kAmtool, "--alertmanager.url=http://127.0.0.1:" + std::to_string(port_)});
    auto [rc, out] = RunCommand(args);
    EXPECT_EQ(rc, want_rc) << out;
    return out;
  }

  std::string dir_;
  int port_ = 0, grpc_port_ = 0;
  std::unique_ptr<Process> notifier_;
};

TEST_F(AmtoolTest, SilencesAndAlertQueries) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // Silence add prints the new id; query lists it. The silence comes first.
  std::string id = Amtool({"silence", "add", "alertname=DiskFull", "--comment=disk swap",
                           "--author=alice", "--duration=2h"});
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  ASSERT_EQ(id.size(), 36u) << id;
  std::string query = Amtool({"silence", "query"});
  EXPECT_THAT(query, HasSubstr(id));
  EXPECT_THAT(query, HasSubstr("alertname=\"DiskFull\""));
  EXPECT_THAT(query, HasSubstr("alice"));
  EXPECT_THAT(query, HasSubstr("disk swap"));
  EXPECT_THAT(Amtool({"silence", "query", "alertname=Other"}), Not(HasSubstr(id)));

  // Alerts arrive after the silence (group_wait 0s: notified at once unless muted).
  auto [code, body] = HttpPost(port_, "/api/v2/alerts",
                               R"([{"labels":{"alertname":"DiskFull","severity":"warning",)"
                               R"("cluster":"a"}},{"labels":{"alertname":"Slow",)"
                               R"("severity":"warning","cluster":"b"}},)"
                               R"({"labels":{"alertname":"Down","severity":"critical",)"
                               R"("cluster":"b"}}])");
  ASSERT_EQ(code, 200) << body;

  // amtool alert query hides silenced and inhibited alerts unless asked.
  std::string alerts = Amtool({"alert", "query"});
  EXPECT_THAT(alerts, HasSubstr("Down"));
  EXPECT_THAT(alerts, Not(HasSubstr("DiskFull")));
  EXPECT_THAT(alerts, Not(HasSubstr("Slow")));  // inhibited by Down in cluster b
  EXPECT_THAT(Amtool({"alert", "query", "--silenced"}), HasSubstr("DiskFull"));
  EXPECT_THAT(Amtool({"alert", "query", "--inhibited"}), HasSubstr("Slow"));
  auto json = nlohmann::json::parse(Amtool({"-o", "json", "alert", "query", "-a", "-s", "-i"}));
  ASSERT_EQ(json.size(), 3u);
  for (const auto& a : json) {
    const std::string name = a["labels"]["alertname"];
    EXPECT_EQ(a["status"]["state"], name == "Down" ? "active" : "suppressed") << name;
    if (name == "DiskFull") EXPECT_EQ(a["status"]["silencedBy"][0], id);
    if (name == "Slow") EXPECT_EQ(a["status"]["inhibitedBy"].size(), 1u);
  }
  EXPECT_THAT(Amtool({"config", "show"}), HasSubstr("inhibit_rules"));

  // Only the unmuted alert was notified.
  ASSERT_TRUE(WaitFor([&] { return !testing::ReadFile(dir_ + "/pages.jsonl").empty(); }));
  EXPECT_THAT(testing::ReadFile(dir_ + "/pages.jsonl"), Not(HasSubstr("DiskFull")));

  // The silence survives a SIGKILL.
  notifier_->Signal(SIGKILL);
  ASSERT_EQ(notifier_->Wait(), -SIGKILL);
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_THAT(Amtool({"silence", "query"}), HasSubstr(id));

  // Expire: gone from the active list, shown with --expired; expiring again succeeds and
  // changes nothing, as with Alertmanager 0.25; an unknown id fails ("silence not found").
  Amtool({"silence", "expire", id});
  EXPECT_THAT(Amtool({"silence", "query"}), Not(HasSubstr(id)));
  EXPECT_THAT(Amtool({"silence", "query", "--expired"}), HasSubstr(id));
  Amtool({"silence", "expire", id});
  EXPECT_THAT(Amtool({"silence", "expire", "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1"}, 1),
              HasSubstr("silence not found"));
  EXPECT_THAT(Amtool({"alert", "query"}), HasSubstr("DiskFull"));

  // amtool alert add (zero start and end times) fires an alert.
  Amtool({"alert", "add", "alertname=FromAmtool", "severity=info", "--annotation=summary=hi"});
  EXPECT_THAT(Amtool({"alert", "query", "alertname=FromAmtool"}), HasSubstr("FromAmtool"));
  EXPECT_THAT(Amtool({"alert", "query", "alertname=FromAmtool"}), Not(HasSubstr("DiskFull")));

  // The same silences over gRPC (vigil.v1.Notifier).
  auto stub = v1::Notifier::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                                        grpc::InsecureChannelCredentials()));
  v1::Silence created;
  {
    grpc::ClientContext ctx;
    v1::Silence req;
    req.add_matchers(R"(alertname="FromAmtool")");
    req.set_ends_at_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       3'600'000);
    req.set_created_by("grpc");
    req.set_comment("via gRPC");
    grpc::Status st = stub->SetSilence(&ctx, req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(created.state(), "active");
  }
  EXPECT_THAT(Amtool({"silence", "query"}), HasSubstr(created.id()));
  EXPECT_THAT(Amtool({"alert", "query", "alertname=FromAmtool"}), Not(HasSubstr("FromAmtool")));
  {
    grpc::ClientContext ctx;
    v1::ListSilencesResponse resp;
    ASSERT_TRUE(stub->ListSilences(&ctx, v1::ListSilencesRequest(), &resp).ok());
    EXPECT_EQ(resp.silences_size(), 2);  // the expired one from amtool and this one
  }
  {
    grpc::ClientContext ctx;
    v1::ExpireSilenceRequest req;
    req.set_id(created.id());
    v1::Silence expired;
    ASSERT_TRUE(stub->ExpireSilence(&ctx, req, &expired).ok());
    EXPECT_EQ(expired.state(), "expired");
    grpc::ClientContext again;
    EXPECT_EQ(stub->ExpireSilence(&again, req, &expired).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext ctx;
    v1::Silence bad;
    bad.add_matchers("alertname=~.*");
    bad.set_ends_at_ms(1);
    v1::Silence out;
    EXPECT_EQ(stub->SetSilence(&ctx, bad, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }

  // A bad silence is refused with Alertmanager's message.
  auto [rc, out] =
      RunCommand({kAmtool, "--alertmanager.url=http://127.0.0.1:" + std::to_string(port_),
                  "silence", "add", "alertname=~.*", "--comment=x"});
  EXPECT_NE(rc, 0);
  EXPECT_THAT(out, HasSubstr("must not match the empty string"));
}

// gRPC ListSilences lists in the order of GET /api/v2/silences (Alertmanager's: active by
// end, pending by start, expired latest first), not by id.
TEST_F(AmtoolTest, GrpcListsSilencesInTheHttpApisOrder) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto stub = v1::Notifier::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                                        grpc::InsecureChannelCredentials()));
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  constexpr int64_t kHour = 3'600'000;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    grpc::ClientContext ctx;
    v1::Silence req, created;
    req.add_matchers("alertname=\"S" + std::to_string(i) + "\"");
    if (i % 2 == 1) req.set_starts_at_ms(now + (9 - i) * kHour);  // pending
    req.set_ends_at_ms(now + (20 - i) * kHour);
    grpc::Status st = stub->SetSilence(&ctx, req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ids.push_back(created.id());
  }
  for (int i : {2, 5}) {
    grpc::ClientContext ctx;
    v1::ExpireSilenceRequest req;
    req.set_id(ids[i]);
    v1::Silence expired;
    ASSERT_TRUE(stub->ExpireSilence(&ctx, req, &expired).ok());
  }
  auto [code, body] = HttpGet(port_, "/api/v2/silences");
  ASSERT_EQ(code, 200) << body;
  std::vector<std::string> http_order;
  for (const nlohmann::json& s : nlohmann::json::parse(body)) http_order.push_back(s["id"]);
  grpc::ClientContext ctx;
  v1::ListSilencesResponse resp;
  ASSERT_TRUE(stub->ListSilences(&ctx, v1::ListSilencesRequest(), &resp).ok());
  std::vector<std::string> grpc_order, states;
  for (const v1::Silence& s : resp.silences()) {
    grpc_order.push_back(s.id());
    states.push_back(s.state());
  }
  EXPECT_EQ(grpc_order, http_order);
  EXPECT_EQ(states, (std::vector<std::string>{"active", "active", "active", "pending", "pending",
                                              "pending", "expired", "expired"}));
  // Active ones by end: 6, 4, 0; pending by start: 7, 3, 1.
  EXPECT_EQ(std::vector<std::string>(grpc_order.begin(), grpc_order.begin() + 6),
            (std::vector<std::string>{ids[6], ids[4], ids[0], ids[7], ids[3], ids[1]}));
}

}  // namespace
}  // namespace vigil::notifier
