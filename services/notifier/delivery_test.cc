#include "services/notifier/delivery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "prometheus/text_serializer.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

// Polls `cond` until true or a 10 s deadline.
template <typename Fn>
bool WaitFor(Fn cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

// Collects what the worker reports.
struct Results {
  absl::Mutex mu;
  std::vector<DeliveryResult> all;

  Deliverer::ResultFn Fn() {
    return [this](const Notification&, const DeliveryResult& r) {
      absl::MutexLock lock(&mu);
      all.push_back(r);
    };
  }
  std::optional<DeliveryResult> Final(uint64_t id) {
    absl::MutexLock lock(&mu);
    return FinalLocked(id);
  }
  // Blocks until the final result of `id` is in (at most 10 s).
  std::optional<DeliveryResult> AwaitFinal(uint64_t id) {
    absl::MutexLock lock(&mu);
    auto in = [this, id]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return FinalLocked(id).has_value(); };
    mu.AwaitWithTimeout(absl::Condition(&in), absl::Seconds(10));
    return FinalLocked(id);
  }
  std::optional<DeliveryResult> FinalLocked(uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const auto& r : all) {
      if (r.id == id && r.final) return r;
    }
    return std::nullopt;
  }
};

// A webhook receiver on a free port that answers with the given codes in turn (then 200).
class WebhookServer {
 public:
  explicit WebhookServer(std::vector<int> codes) : codes_(std::move(codes)) {
    server_.Post("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.status = 307;
      res.set_header("Location", "/hook");
    });
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      bodies_.push_back(req.body);
      keys_.push_back(req.get_header_value("Idempotency-Key"));
      content_types_.push_back(req.get_header_value("Content-Type"));
      ports_.push_back(req.remote_port);
      size_t i = bodies_.size() - 1;
      res.status = i < codes_.size() ? codes_[i] : 200;
      res.set_content(res.status == 200 ? "ok" : "try later", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  size_t requests() {
    absl::MutexLock lock(&mu_);
    return bodies_.size();
  }
  std::vector<std::string> keys() {
    absl::MutexLock lock(&mu_);
    return keys_;
  }
  std::vector<std::string> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  std::vector<std::string> content_types() {
    absl::MutexLock lock(&mu_);
    return content_types_;
  }
  // The client port of each request: the same port means the same connection.
  std::vector<int> ports() {
    absl::MutexLock lock(&mu_);
    return ports_;
  }

 private:
  std::vector<int> codes_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> bodies_, keys_, content_types_;
  std::vector<int> ports_;
};

Notification Webhook(uint64_t id, const std::string& url, uint64_t sequence = 1) {
  Notification n;
  n.id = id;
  n.receiver = "team";
  n.integration = {Integration::Kind::kWebhook, 0, url, true, 0};
  n.group_key = R"({}:{alertname="X"})";
  n.sequence = sequence;
  n.status = "firing";
  n.body = R"({"version":"4","n":)" + std::to_string(id) + "}";
  return n;
}

DeliveryOptions Fast(int plain_http_in_flight = 16) {
  return {.initial_backoff = absl::Milliseconds(20),
          .max_backoff = absl::Milliseconds(200),
          .request_timeout = absl::Seconds(5),
          .plain_http_in_flight = plain_http_in_flight};
}

// The tests of webhooks to http:// URLs run twice: with the lane's requests in flight on
// one thread (PlainHttpMulti, the default) and with a worker thread per attempt.
class HttpDeliveryTest : public ::testing::TestWithParam<int> {
 protected:
  DeliveryOptions Fast() const { return notifier::Fast(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Lanes, HttpDeliveryTest, ::testing::Values(16, 0),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param > 0 ? "OneThreadManyInFlight" : "WorkerThreads";
                         });

std::string Metrics(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST_P(HttpDeliveryTest, RetriesAfter500UntilDelivered) {
  WebhookServer server({500, 503});
  prometheus::Registry registry;
  Results results;
  Deliverer deliverer(registry, results.Fn(), Fast());
  deliverer.Submit(Webhook(7, server.url(), 3));
  ASSERT_TRUE(WaitFor([&] { return results.Final(7).has_value(); }));
  DeliveryResult r = *results.Final(7);
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_EQ(server.requests(), 3u);
  // Every attempt carries the same body and idempotency key.
  for (const std::string& key : server.keys()) EXPECT_EQ(key, R"({}:{alertname="X"}/3)");
  for (const std::string& body : server.bodies()) EXPECT_EQ(body, R"({"version":"4","n":7})");
  EXPECT_EQ(server.content_types()[0], "application/json");
  {
    absl::MutexLock lock(&results.mu);
    ASSERT_EQ(results.all.size(), 3u);  // two failed attempts reported, then the final one
    EXPECT_FALSE(results.all[0].final);
    EXPECT_THAT(results.all[0].error, HasSubstr("unexpected status code 500"));
  }
  EXPECT_EQ(deliverer.QueueLength(), 0u);
  const std::string m = Metrics(registry);
  EXPECT_THAT(m, HasSubstr(R"(vigil_notifier_notifications_total{receiver="team"} 3)"));
  EXPECT_THAT(m, HasSubstr(R"(vigil_notifier_notifications_failed_total{receiver="team"} 2)"));
  EXPECT_THAT(m, HasSubstr("vigil_notifier_notification_latency_seconds_count 3"));
  EXPECT_THAT(m, HasSubstr("vigil_notifier_queue_length 0"));
}

TEST_P(HttpDeliveryTest, ClientErrorIsNotRetried) {
  WebhookServer server({400});
  prometheus::Registry registry;
  Results results;
  Deliverer deliverer(registry, results.Fn(), Fast());
  deliverer.Submit(Webhook(1, server.url()));
  ASSERT_TRUE(WaitFor([&] { return results.Final(1).has_value(); }));
  EXPECT_FALSE(results.Final(1)->delivered);
  EXPECT_EQ(results.Final(1)->attempts, 1u);
  EXPECT_THAT(results.Final(1)->error, HasSubstr("unexpected status code 400"));
}

// The same with a real receiver, on both kinds of lane: the first notification fails
// and waits for its retry; a newer one of its group takes its place.
TEST_P(HttpDeliveryTest, ANewerNotificationSupersedesOneWaitingForItsRetry) {
  WebhookServer server({500});
  prometheus::Registry registry;
  Results results;
  DeliveryOptions options = Fast();
  options.initial_backoff = options.max_backoff = absl::Seconds(30);  // no retry in the test
  Deliverer deliverer(registry, results.Fn(), options);
  deliverer.Submit(Webhook(1, server.url(), 1));
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock lock(&results.mu);
    return !results.all.empty();
  }));
  EXPECT_FALSE(results.Final(1).has_value());  // failed once, waiting for its retry
  deliverer.Submit(Webhook(2, server.url(), 2));
  auto superseded = results.AwaitFinal(1);
  ASSERT_TRUE(superseded.has_value());
  EXPECT_TRUE(superseded->superseded);
  auto delivered = results.AwaitFinal(2);
  ASSERT_TRUE(delivered.has_value());
  EXPECT_TRUE(delivered->delivered);
  EXPECT_EQ(server.bodies(),
            (std::vector<std::string>{R"({"version":"4","n":1})", R"({"version":"4","n":2})"}));
  EXPECT_EQ(deliverer.QueueLength(), 0u);
}

// A receiver that redirects: the request is sent again where it points (through libcurl
// from a plain-HTTP lane), as Go's client follows a 307 with the same POST.
TEST_P(HttpDeliveryTest, ARedirectIsFollowed) {
  WebhookServer server({});
  prometheus::Registry registry;
  Results results;
  Deliverer deliverer(registry, results.Fn(), Fast());
  std::string moved = server.url();
  moved.replace(moved.rfind("/hook"), 5, "/moved");
  deliverer.Submit(Webhook(1, moved, 1));
  auto r = results.AwaitFinal(1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->delivered) << r->error;
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{R"({"version":"4","n":1})"}));
}

TEST(DeliveryTest, NewerNotificationOfTheSameGroupSupersedesARetryingOne) {
  prometheus::Registry registry;
  Results results;
  std::atomic<int> calls{0};
  std::atomic<bool> down{true};
  auto send = [&](const Notification& n, absl::Duration) -> SendResult {
    ++calls;
    if (down) return {false, true, "connection refused"};
    return {true, false, ""};
  };
  DeliveryOptions slow = Fast();
  slow.initial_backoff = slow.max_backoff = absl::Hours(1);  // the first retry never comes
  Deliverer deliverer(registry, results.Fn(), slow, send);
  deliverer.Submit(Webhook(1, "http://unused/", 1));
  ASSERT_TRUE(WaitFor([&] { return calls.load() == 1 && deliverer.QueueLength() == 1; }));
  down = false;
  deliverer.Submit(Webhook(2, "http://unused/", 2));
  ASSERT_TRUE(WaitFor([&] { return results.Final(2).has_value(); }));
  EXPECT_TRUE(results.Final(1)->superseded);
  EXPECT_FALSE(results.Final(1)->delivered);
  EXPECT_TRUE(results.Final(2)->delivered);
  EXPECT_EQ(calls.load(), 2);
}

TEST(DeliveryTest, FileReceiverAppendsOneJsonObjectPerLine) {
  const std::string path = ::testing::TempDir() + "/notifier_delivery_test.jsonl";
  std::remove(path.c_str());
  prometheus::Registry registry;
  Results results;
  Deliverer deliverer(registry, results.Fn(), Fast());
  for (uint64_t id : {1, 2}) {
    Notification n = Webhook(id, "");
    n.integration = {Integration::Kind::kFile, 0, path, true, 0};
    n.group_key = "g" + std::to_string(id);  // separate streams: neither supersedes
    deliverer.Submit(n);
  }
  ASSERT_TRUE(WaitFor([&] { return results.Final(1) && results.Final(2); }));
  EXPECT_TRUE(results.Final(1)->delivered);
  std::ifstream in(path);
  std::vector<int> seen;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["version"], "4");
    seen.push_back(j["n"].get<int>());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  std::remove(path.c_str());
}

// A webhook receiver whose answers block until Release(): a receiver that hangs.
class HangingServer {
 public:
  HangingServer() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      bodies_.push_back(req.body);
      mu_.Await(absl::Condition(&released_));
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HangingServer() {
    Release();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  std::vector<std::string> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  // Blocks until `n` requests have arrived (at most 10 s); what has arrived by then.
  std::vector<std::string> AwaitBodies(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return bodies_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10));
    return bodies_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> bodies_ ABSL_GUARDED_BY(mu_);
};

// Per-receiver concurrency: while one receiver hangs, another still gets its
// notification; the hanging one's notifications of one group arrive in order after it
// answers.
TEST_P(HttpDeliveryTest, AHangingReceiverDoesNotDelayAnother) {
  HangingServer slow;
  WebhookServer fast({});
  prometheus::Registry registry;
  Results results;
  DeliveryOptions options = Fast();
  options.request_timeout = absl::Seconds(60);  // the hang ends by Release, not a timeout
  Deliverer deliverer(registry, results.Fn(), options);
  Notification first = Webhook(1, slow.url(), 1);
  first.receiver = "slow";
  deliverer.Submit(first);
  ASSERT_TRUE(WaitFor([&] { return slow.bodies().size() == 1; }));
  // The same group again (queued behind the attempt in flight), and another group.
  Notification second = Webhook(3, slow.url(), 2);
  second.receiver = "slow";
  deliverer.Submit(second);
  Notification other_group = Webhook(4, slow.url(), 1);
  other_group.receiver = "slow";
  other_group.group_key = R"({}:{alertname="Y"})";
  deliverer.Submit(other_group);

  Notification to_fast = Webhook(2, fast.url(), 1);
  to_fast.receiver = "fast";
  deliverer.Submit(to_fast);
  ASSERT_TRUE(WaitFor([&] { return results.Final(2).has_value(); }));
  EXPECT_TRUE(results.Final(2)->delivered);
  EXPECT_EQ(fast.requests(), 1u);
  EXPECT_FALSE(results.Final(1).has_value());  // still hanging
  EXPECT_EQ(deliverer.QueueLength(), 3u);

  slow.Release();
  ASSERT_TRUE(WaitFor([&] { return results.Final(1) && results.Final(3) && results.Final(4); }));
  EXPECT_TRUE(results.Final(1)->delivered);
  EXPECT_TRUE(results.Final(3)->delivered);
  EXPECT_TRUE(results.Final(4)->delivered);
  std::vector<std::string> group_x;
  for (const std::string& body : slow.bodies()) {
    if (body.find(R"("n":4)") == std::string::npos) group_x.push_back(body);
  }
  EXPECT_EQ(group_x,
            (std::vector<std::string>{R"({"version":"4","n":1})", R"({"version":"4","n":3})"}));
  EXPECT_EQ(deliverer.QueueLength(), 0u);
}

// A webhook's own `timeout` bounds each request: a receiver that hangs is tried again
// after it, though the notifier's default (here 60 s) is far longer.
TEST_P(HttpDeliveryTest, AWebhooksOwnTimeoutEndsAHangingRequest) {
  HangingServer slow;
  prometheus::Registry registry;
  Results results;
  DeliveryOptions options = Fast();
  options.request_timeout = absl::Seconds(60);
  Deliverer deliverer(registry, results.Fn(), options);
  Notification n = Webhook(1, slow.url(), 1);
  n.integration.timeout = absl::Milliseconds(200);
  deliverer.Submit(n);
  ASSERT_EQ(slow.AwaitBodies(2).size(), 2u);  // the first attempt timed out: a retry
  slow.Release();
  std::optional<DeliveryResult> final = results.AwaitFinal(1);
  ASSERT_TRUE(final.has_value());
  EXPECT_TRUE(final->delivered);
  EXPECT_GE(final->attempts, 2u);
}

// Like Alertmanager's goroutine per group: a receiver that hangs on one group's attempt
// is attempted for another group at the same time; the first group's next notification
// waits for its attempt in flight, so a group's notifications stay in order.
TEST_P(HttpDeliveryTest, GroupsOfOneReceiverAreAttemptedInParallelEachInOrder) {
  HangingServer slow;
  prometheus::Registry registry;
  Results results;
  DeliveryOptions options = Fast();
  options.request_timeout = absl::Seconds(60);
  options.parallel_per_lane = 2;
  Deliverer deliverer(registry, results.Fn(), options);
  deliverer.Submit(Webhook(1, slow.url(), 1));
  ASSERT_EQ(slow.AwaitBodies(1).size(), 1u);
  deliverer.Submit(Webhook(2, slow.url(), 2));  // group X again: behind its attempt
  Notification y = Webhook(3, slow.url(), 1);
  y.group_key = R"({}:{alertname="Y"})";
  deliverer.Submit(y);
  EXPECT_EQ(slow.AwaitBodies(2),
            (std::vector<std::string>{R"({"version":"4","n":1})", R"({"version":"4","n":3})"}));
  EXPECT_EQ(deliverer.QueueLength(), 3u);  // two in flight, one waiting
  slow.Release();
  for (uint64_t id : {1, 2, 3}) {
    auto r = results.AwaitFinal(id);
    ASSERT_TRUE(r.has_value()) << id;
    EXPECT_TRUE(r->delivered) << id;
  }
  EXPECT_EQ(slow.bodies().back(), R"({"version":"4","n":2})");
}

// A worker keeps its connection to the receiver open between notifications.
TEST_P(HttpDeliveryTest, AWorkerReusesItsConnection) {
  WebhookServer server({});
  prometheus::Registry registry;
  Results results;
  DeliveryOptions options = Fast();
  options.parallel_per_lane = 1;  // one worker, so one connection
  Deliverer deliverer(registry, results.Fn(), options);
  for (uint64_t id : {1, 2, 3}) {
    deliverer.Submit(Webhook(id, server.url(), id));
    auto r = results.AwaitFinal(id);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->delivered);
  }
  const std::vector<int> ports = server.ports();
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[1], ports[0]);
  EXPECT_EQ(ports[2], ports[0]);
}

// alertmanager_configs: the webhook payload's alerts as Alertmanager's postable alerts;
// endsAt only for resolved ones (Alertmanager reads the zero time as "resolved long ago").
TEST(DeliveryTest, PostableAlertsForAlertmanager) {
  const std::string webhook = R"({"version":"4","status":"resolved","alerts":[
    {"status":"firing","labels":{"alertname":"A"},"annotations":{"s":"x"},
     "startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z",
     "generatorURL":"http://g/","fingerprint":"aa"},
    {"status":"resolved","labels":{"alertname":"B"},"annotations":{},
     "startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-01T00:05:00Z",
     "generatorURL":"","fingerprint":"bb"}]})";
  EXPECT_EQ(nlohmann::json::parse(PostableAlerts(webhook)), nlohmann::json::parse(R"([
    {"labels":{"alertname":"A"},"annotations":{"s":"x"},"startsAt":"2026-01-01T00:00:00Z",
     "generatorURL":"http://g/"},
    {"labels":{"alertname":"B"},"annotations":{},"startsAt":"2026-01-01T00:00:00Z",
     "endsAt":"2026-01-01T00:05:00Z","generatorURL":""}])"));
  EXPECT_EQ(PostableAlerts("not json"), "[]");
}

TEST(DeliveryTest, FileReceiverErrorsAreRetriedAndReported) {
  SendResult r = AppendLine("/proc/version/x.jsonl", "{}");  // not a directory
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retry);
  EXPECT_THAT(r.error, HasSubstr("/proc/version/x.jsonl"));
  // A missing directory is created.
  const std::string dir = ::testing::TempDir() + "/notifier_delivery_test_dir";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(AppendLine(dir + "/sub/x.jsonl", "{}").ok);
  std::ifstream in(dir + "/sub/x.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "{}");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::notifier
