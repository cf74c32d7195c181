// The vigil-notifier daemon as a process: alerts in over the bus, a webhook delivery
// retried after a 500, the Notification published on the bus, gRPC answers, a rejected
// reload, and a clean exit on SIGTERM.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/bus/topics.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "services/notifier/test_support.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

template <typename Fn>
bool WaitFor(Fn cond, std::chrono::seconds limit = std::chrono::seconds(15)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

class Webhook {
 public:
  Webhook() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      bodies_.push_back(req.body);
      keys_.push_back(req.get_header_value("Idempotency-Key"));
      res.status = bodies_.size() == 1 ? 500 : 200;  // the first attempt fails
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Webhook() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  std::vector<std::string> keys() {
    absl::MutexLock lock(&mu_);
    return keys_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> bodies_, keys_;
};

v1::AlertBatch FiringBatch(const labels::Labels& ls) {
  v1::AlertBatch batch;
  AddFiringEvent(ls, SystemClock().NowMs(), 60'000, &batch);
  return batch;
}

TEST(NotifierAppTest, BusAlertToWebhookWithRetryThenStatusReloadAndStop) {
  const std::string dir = ::testing::TempDir() + "/notifier_app_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Webhook webhook;
  const std::string config = dir + "/alertmanager.yml";
  WriteFile(config,
            "route:\n  receiver: page\n  group_by: [alertname]\n  group_wait: 0s\n"
            "  group_interval: 1s\nreceivers:\n  - name: page\n    webhook_configs: [{url: '" +
                webhook.url() + "'}]\n    file_configs: [{path: '" + dir + "/pages.jsonl'}]\n");

  zmq::context_t ctx;
  prometheus::Registry registry;
  bus::Publisher evaluator(ctx, "evaluator", registry, SystemClock());
  auto evaluator_ep = evaluator.Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(evaluator_ep.ok());

  const std::string log = dir + "/notifier.log";
  pid_t pid = fork();
  if (pid == 0) {
    freopen(log.c_str(), "w", stderr);
    freopen(log.c_str(), "a", stdout);
    execl(VIGIL_NOTIFIER_BIN, "vigil-notifier", ("--config.file=" + config).c_str(),
          "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0",
          "--bus.publish-address=tcp://127.0.0.1:0", ("--bus.connect=" + *evaluator_ep).c_str(),
          ("--storage.path=" + dir + "/data").c_str(), "--evaluator.grpc-address=none",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  std::smatch m;
  std::string text;
  const std::regex ready(R"(http=(\S+) grpc=(\S+)[\s\S]*notifier ready: bus=(\S+))");
  ASSERT_TRUE(WaitFor([&] {
    text = ReadFile(log);
    return std::regex_search(text, m, ready);
  })) << text;
  const std::string http_address = m[1], grpc_address = m[2], bus_address = m[3];
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/data"));

  bus::Subscriber reporter(ctx, registry);
  reporter.Connect(bus_address);
  reporter.Subscribe(std::string(bus::kTopicNotifications));

  // Publish as the evaluator does (re-sent until seen: a fresh SUB may miss the first).
  const labels::Labels alert{{"alertname", "AppTest"}, {"severity", "P0"}};
  std::optional<v1::Notification> published;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (!published && Clock::now() < deadline) {
    evaluator.Publish(bus::kTopicAlerts, FiringBatch(alert));
    zmq::pollitem_t items[] = {{reporter.socket().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(100));
    while (auto msg = reporter.Receive()) {
      v1::Notification n;
      if (msg->ParseAs(&n)) published = n;
    }
  }
  ASSERT_TRUE(published) << ReadFile(log);
  EXPECT_EQ(published->receiver(), "page");
  EXPECT_EQ(published->group_key(), R"({}:{alertname="AppTest"})");
  EXPECT_EQ(published->status(), "firing");
  EXPECT_TRUE(published->delivered());

  // The webhook saw a 500 and then the retry, with the same idempotency key.
  ASSERT_TRUE(WaitFor([&] { return webhook.bodies().size() >= 2; }));
  EXPECT_THAT(webhook.bodies()[1], HasSubstr(R"("groupKey":"{}:{alertname=\"AppTest\"}")"));
  EXPECT_THAT(webhook.bodies()[1], HasSubstr(R"("version":"4")"));
  EXPECT_EQ(webhook.keys()[0], webhook.keys()[1]);
  EXPECT_THAT(ReadFile(dir + "/pages.jsonl"), HasSubstr("AppTest"));

  // Alertmanager's API lists the active alert with its receiver.
  const size_t colon = http_address.rfind(':');
  httplib::Client http(http_address.substr(0, colon), std::stoi(http_address.substr(colon + 1)));
  auto listed = http.Get("/api/v2/alerts");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200);
  EXPECT_THAT(listed->body, HasSubstr(R"("receivers":[{"name":"page"}])"));
  EXPECT_THAT(listed->body, HasSubstr(R"("alertname":"AppTest")"));

  auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
  auto notifier = v1::Notifier::NewStub(channel);
  auto control = v1::Control::NewStub(channel);
  // Both integrations were notified, the webhook after 2 attempts.
  ASSERT_TRUE(WaitFor([&] {
    grpc::ClientContext ctx;
    v1::ListNotificationsResponse resp;
    if (!notifier->ListNotifications(&ctx, v1::ListNotificationsRequest(), &resp).ok()) {
      return false;
    }
    int delivered = 0, retried = 0;
    for (const auto& n : resp.notifications()) {
      delivered += n.delivered();
      retried += n.attempts() == 2;
    }
    return delivered == 2 && retried == 1;
  }));
  {
    grpc::ClientContext ctx;
    v1::ServiceStatus status;
    ASSERT_TRUE(control->GetStatus(&ctx, v1::GetStatusRequest(), &status).ok());
    EXPECT_EQ(status.stats().at("alerts_active"), 1);
    EXPECT_EQ(status.stats().at("groups"), 1);
    EXPECT_EQ(status.stats().at("notifications_sent"), 2);
    EXPECT_EQ(status.stats().at("notifications_failed"), 0);
  }
  // An acknowledgement goes on the bus for the reporter's record.
  reporter.Subscribe(std::string(bus::kTopicAcknowledgements));
  std::optional<v1::Acknowledgement> ack_published;
  deadline = Clock::now() + std::chrono::seconds(15);
  for (int attempt = 0; !ack_published && Clock::now() < deadline; ++attempt) {
    // Made again until one is seen: a subscription just made may miss the first.
    grpc::ClientContext ctx;
    v1::AcknowledgeRequest req;
    req.set_fingerprint(alert.FingerprintHex());
    req.set_who("ana");
    req.set_comment("on it " + std::to_string(attempt));
    v1::Acknowledgement made;
    ASSERT_TRUE(notifier->Acknowledge(&ctx, req, &made).ok());
    zmq::pollitem_t items[] = {{reporter.socket().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(200));
    while (auto msg = reporter.Receive()) {
      v1::Acknowledgement a;
      if (msg->topic == bus::kTopicAcknowledgements && msg->ParseAs(&a)) ack_published = a;
    }
  }
  ASSERT_TRUE(ack_published) << ReadFile(log);
  EXPECT_EQ(ack_published->who(), "ana");
  EXPECT_EQ(ack_published->fingerprint(), alert.FingerprintHex());
  EXPECT_GT(ack_published->at_ms(), 0);

  // A bad config is refused with its position; the old one keeps running.
  WriteFile(config, "route:\n  receiver: page\nreceivers: [{name: pager}]\n");
  {
    grpc::ClientContext ctx;
    v1::ReloadResponse resp;
    ASSERT_TRUE(control->Reload(&ctx, v1::ReloadRequest(), &resp).ok() || !resp.ok());
    EXPECT_FALSE(resp.ok());
  }
  {
    grpc::ClientContext ctx;
    v1::ServiceStatus status;
    ASSERT_TRUE(control->GetStatus(&ctx, v1::GetStatusRequest(), &status).ok());
    EXPECT_FALSE(status.last_reload_ok());
    EXPECT_THAT(status.last_reload_error(),
                HasSubstr(config + ":2:13: undefined receiver \"page\""));
    EXPECT_TRUE(status.ready());
  }

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << ReadFile(log);
}

// An evaluator's gRPC API answering ListAlerts with one firing alert named `name`.
class FakeEvaluator final : public v1::Evaluator::Service {
 public:
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse* resp) override {
    absl::MutexLock lock(&mu_);
    *resp->mutable_alerts() = FiringBatch(labels::Labels{{"alertname", name_}}).alerts();
    return grpc::Status::OK;
  }
  void set_name(std::string name) {
    absl::MutexLock lock(&mu_);
    name_ = std::move(name);
  }

 private:
  absl::Mutex mu_;
  std::string name_ = "FromResyncOnStart";
};

// With no alert event on the bus, the notifier learns the evaluator's active alerts over
// gRPC when it starts, and again when the evaluator's bus publisher restarts (a gap).
TEST(NotifierAppTest, ResyncsFromTheEvaluatorOnStartAndAfterABusGap) {
  const std::string dir = ::testing::TempDir() + "/notifier_resync_app_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/alertmanager.yml";
  WriteFile(config, "route:\n  receiver: page\nreceivers:\n  - name: page\n");

  FakeEvaluator fake;
  int grpc_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port);
  builder.RegisterService(&fake);
  auto server = builder.BuildAndStart();
  ASSERT_NE(grpc_port, 0);

  zmq::context_t ctx;
  prometheus::Registry registry;
  auto publisher = std::make_unique<bus::Publisher>(ctx, "evaluator", registry, SystemClock());
  auto bus_ep = publisher->Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(bus_ep.ok());

  const std::string log = dir + "/notifier.log";
  pid_t pid = fork();
  if (pid == 0) {
    freopen(log.c_str(), "w", stderr);
    freopen(log.c_str(), "a", stdout);
    execl(VIGIL_NOTIFIER_BIN, "vigil-notifier", ("--config.file=" + config).c_str(),
          "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0",
          "--bus.publish-address=tcp://127.0.0.1:0", ("--bus.connect=" + *bus_ep).c_str(),
          ("--storage.path=" + dir + "/data").c_str(),
          ("--evaluator.grpc-address=127.0.0.1:" + std::to_string(grpc_port)).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  std::smatch m;
  std::string text;
  const std::regex ready(R"(http=(\S+) grpc=(\S+)[\s\S]*notifier ready: bus=(\S+))");
  ASSERT_TRUE(WaitFor([&] {
    text = ReadFile(log);
    return std::regex_search(text, m, ready);
  })) << text;
  const std::string http_address = m[1];
  const size_t colon = http_address.rfind(':');
  httplib::Client http(http_address.substr(0, colon), std::stoi(http_address.substr(colon + 1)));
  auto alerts = [&] {
    auto res = http.Get("/api/v2/alerts");
    return res ? res->body : std::string();
  };

  // On start: the evaluator's alert is there without any bus event.
  EXPECT_TRUE(WaitFor([&] { return alerts().find("FromResyncOnStart") != std::string::npos; }))
      << alerts() << ReadFile(log);

  // An alert over the bus: the notifier now follows this publisher's stream.
  EXPECT_TRUE(WaitFor([&] {
    publisher->Publish(bus::kTopicAlerts, FiringBatch(labels::Labels{{"alertname", "FromBus"}}));
    return alerts().find("FromBus") != std::string::npos;
  })) << alerts() << ReadFile(log);

  // The evaluator's publisher restarts on the same endpoint (its stream starts over): the
  // first message from the new incarnation makes the notifier resync.
  fake.set_name("FromResyncAfterGap");
  const std::string endpoint = *bus_ep;
  publisher.reset();
  publisher = std::make_unique<bus::Publisher>(ctx, "evaluator", registry, SystemClock());
  ASSERT_TRUE(WaitFor([&] { return publisher->Bind(endpoint).ok(); }));
  EXPECT_TRUE(WaitFor([&] {
    publisher->Publish(bus::kTopicAlerts, v1::AlertBatch());  // nothing but its sequence
    return alerts().find("FromResyncAfterGap") != std::string::npos;
  })) << alerts() << ReadFile(log);
  EXPECT_THAT(ReadFile(log), HasSubstr("resyncing"));

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << ReadFile(log);
  server->Shutdown();
}

}  // namespace
}  // namespace vigil::notifier
