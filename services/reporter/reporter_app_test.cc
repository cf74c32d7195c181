#include "services/reporter/reporter_app.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/codec/samples.h"
#include "lib/service/runtime.h"
#include "services/reporter/store.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::reporter {
namespace {

using namespace std::chrono_literals;

// The whole reporter daemon in-process: its bus subscriber connected to a test publisher,
// gRPC and HTTP on free ports.
class ReporterAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("reporter_app_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "rollout.yml").string();
    WriteConfig("rollout:\n  name: phase5\n");
    auto ep = publisher_.Bind("tcp://127.0.0.1:0");
    ASSERT_TRUE(ep.ok()) << ep.status();
    flags_.config_file = config_;
    flags_.web_listen_address = "127.0.0.1:0";
    flags_.grpc_listen_address = "127.0.0.1:0";
    flags_.bus_publish_address = "tcp://127.0.0.1:0";
    flags_.bus_connect = {*ep};
    flags_.storage_path = (dir_ / "data").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConfig(const std::string& text) { std::ofstream(config_) << text; }

  template <typename Pred>
  bool WaitFor(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::filesystem::path dir_;
  std::string config_;
  zmq::context_t ctx_;
  prometheus::Registry registry_;
  ManualClock clock_{FromMs(1'700'000'000'000)};
  bus::Publisher publisher_{ctx_, "collector", registry_, clock_};
  service::CommonFlags flags_;
};

TEST_F(ReporterAppTest, StoresBusMessagesAndAnswersOverGrpc) {
  auto app = ReporterApp::Create(flags_, clock_);
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_TRUE((*app)->Start().ok());
  std::thread loop([&] { (*app)->Run(); });

  service::Runtime& rt = (*app)->runtime();
  auto channel = grpc::CreateChannel(rt.grpc_address(), grpc::InsecureChannelCredentials());
  auto control = v1::Control::NewStub(channel);
  auto reporter = v1::Reporter::NewStub(channel);
  auto status = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    v1::ServiceStatus st;
    EXPECT_TRUE(control->GetStatus(&ctx, {}, &st).ok());
    return st;
  };

  std::string host;
  int port;
  ASSERT_TRUE(service::SplitHostPort(rt.http_address(), &host, &port));
  httplib::Client http(host, port);
  EXPECT_EQ(http.Get("/-/ready")->status, 200);

  // PUB/SUB drops what is sent before the subscription arrives: publish a probe sample
  // (a new timestamp each time) until one is stored.
  labels::Labels probe{{"__name__", "up"}, {"job", "probe"}};
  int64_t t = clock_.NowMs();
  ASSERT_TRUE(WaitFor([&] {
    codec::SampleBatchBuilder b;
    b.Add(probe, t += 1000, 1);
    publisher_.Publish(bus::kTopicSamples, b.Take());
    return status().stats().at("samples_stored") > 0;
  }));
  double probes = status().stats().at("samples_stored");

  // Now the real stream: 5 samples, two alert events, a notification, and garbage.
  codec::SampleBatchBuilder b;
  for (int i = 0; i < 5; ++i) b.Add(labels::Labels{{"__name__", "x"}}, t + i * 1000, i);
  publisher_.Publish(bus::kTopicSamples, b.Take());
  v1::AlertBatch alerts;
  for (auto state : {v1::ALERT_STATE_PENDING, v1::ALERT_STATE_FIRING}) {
    v1::AlertEvent* e = alerts.add_alerts();
    e->set_fingerprint("0123456789abcdef");
    codec::ToProto(labels::Labels{{"alertname", "HybridRAGLatencyHigh"}}, e->mutable_labels());
    e->set_state(state);
    e->set_active_at_ms(t);
    e->set_event_time_ms(state == v1::ALERT_STATE_FIRING ? t + 300000 : t);
    e->set_fired_at_ms(state == v1::ALERT_STATE_FIRING ? t + 300000 : 0);
  }
  publisher_.Publish(bus::kTopicAlerts, alerts);
  v1::Notification n;
  n.set_receiver("oncall");
  n.set_status("firing");
  publisher_.Publish(bus::kTopicNotifications, n);
  publisher_.Publish(bus::kTopicAlerts, v1::Notification());  // wrong type for the topic
  v1::Acknowledgement ack;
  ack.set_fingerprint("0123456789abcdef");
  ack.set_who("ana");
  ack.set_comment("rolling back");
  ack.set_at_ms(t + 400000);
  publisher_.Publish(bus::kTopicAcknowledgements, ack);
  publisher_.Publish(bus::kTopicAcknowledgements, ack);  // again, as an HA peer would
  v1::Acknowledgement anonymous = ack;
  anonymous.clear_who();
  publisher_.Publish(bus::kTopicAcknowledgements, anonymous);  // refused: no who

  ASSERT_TRUE(WaitFor([&] {
    auto st = status();
    return st.stats().at("notifications_stored") == 1 &&
           st.stats().at("acknowledgements_stored") == 1 &&
           st.stats().at("malformed_messages") == 2;
  }));
  {
    grpc::ClientContext ctx;
    v1::ListAcknowledgementsResponse resp;
    ASSERT_TRUE(reporter->ListAcknowledgements(&ctx, {}, &resp).ok());
    ASSERT_EQ(resp.acknowledgements_size(), 1);
    EXPECT_EQ(resp.acknowledgements(0).who(), "ana");
    EXPECT_EQ(resp.acknowledgements(0).comment(), "rolling back");
  }
  v1::ServiceStatus st = status();
  EXPECT_EQ(st.service(), "reporter");
  EXPECT_TRUE(st.ready());
  EXPECT_EQ(st.stats().at("samples_stored"), probes + 5);
  EXPECT_EQ(st.stats().at("series"), 2);
  EXPECT_EQ(st.stats().at("alert_events_stored"), 2);
  bool has_bus = false;
  for (const auto& e : st.endpoints()) has_bus = has_bus || e.name() == "bus";
  EXPECT_TRUE(has_bus);

  {
    grpc::ClientContext ctx;
    v1::ListAlertEventsRequest req;
    req.set_alertname("HybridRAGLatencyHigh");
    v1::ListAlertEventsResponse resp;
    ASSERT_TRUE(reporter->ListAlertEvents(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.events_size(), 2);
    EXPECT_EQ(resp.events(0).state(), "pending");
    EXPECT_EQ(resp.events(1).state(), "firing");  // newest last
  }

  // A bad config on reload is rejected with its position; the old one stays.
  WriteConfig("rollout:\n  name: phase5\n  typo: 1\n");
  {
    grpc::ClientContext ctx;
    v1::ReloadResponse resp;
    grpc::Status s = control->Reload(&ctx, {}, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), config_ + ":3:3: field typo not found in rollout");
  }
  EXPECT_FALSE(status().last_reload_ok());

  (*app)->RequestStop();
  loop.join();
  app->reset();

  // Everything is on disk.
  auto store = Store::Open((dir_ / "data" / "reporter.db").string());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->sample_count(), probes + 5);
  EXPECT_EQ((*store)->alert_event_count(), 2);
  EXPECT_EQ((*store)->notification_count(), 1);
}

TEST_F(ReporterAppTest, ReadSamplesStreamsStoredSamplesOverGrpc) {
  auto app = ReporterApp::Create(flags_, clock_);
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_TRUE((*app)->Start().ok());
  std::thread loop([&] { (*app)->Run(); });
  auto channel =
      grpc::CreateChannel((*app)->runtime().grpc_address(), grpc::InsecureChannelCredentials());
  auto control = v1::Control::NewStub(channel);
  auto reporter = v1::Reporter::NewStub(channel);
  auto stored = [&] {
    grpc::ClientContext ctx;
    v1::ServiceStatus st;
    EXPECT_TRUE(control->GetStatus(&ctx, {}, &st).ok());
    return st.stats().at("samples_stored");
  };

  // Probe until the subscription is up (PUB/SUB drops what comes before), then 3 series
  // of 20 samples, the last of `a` a staleness marker.
  labels::Labels probe{{"__name__", "probe"}};
  int64_t t = 0;
  ASSERT_TRUE(WaitFor([&] {
    codec::SampleBatchBuilder b;
    b.Add(probe, ++t, 1);
    publisher_.Publish(bus::kTopicSamples, b.Take());
    return stored() > 0;
  }));
  double before = stored();
  labels::Labels a{{"__name__", "x"}, {"job", "a"}}, b{{"__name__", "x"}, {"job", "b"}},
      c{{"__name__", "y"}, {"job", "a"}};
  codec::SampleBatchBuilder builder;
  for (int i = 0; i < 20; ++i) {
    builder.Add(a, 1000 * i, i == 19 ? codec::StaleNaN() : i);
    builder.Add(b, 1000 * i, -i);
    builder.Add(c, 1000 * i, 2 * i);
  }
  publisher_.Publish(bus::kTopicSamples, builder.Take());
  ASSERT_TRUE(WaitFor([&] { return stored() == before + 60; }));

  auto read = [&](const v1::ReadSamplesRequest& req, std::vector<v1::SampleBatch>* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    auto stream = reporter->ReadSamples(&ctx, req);
    v1::SampleBatch batch;
    while (stream->Read(&batch)) out->push_back(batch);
    return stream->Finish();
  };
  v1::ReadSamplesRequest req;
  req.set_start_ms(5000);
  req.set_end_ms(19000);
  req.set_max_series_per_batch(1);
  v1::LabelMatcher* m = req.add_selectors()->add_matchers();
  m->set_type(v1::LabelMatcher::EQUAL);
  m->set_name("__name__");
  m->set_value("x");
  std::vector<v1::SampleBatch> batches;
  grpc::Status st = read(req, &batches);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(batches.size(), 2u);  // one series per batch, as asked
  auto first = codec::DecodeSampleBatch(batches[0]);
  auto second = codec::DecodeSampleBatch(batches[1]);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].labels, a);
  ASSERT_EQ((*first)[0].points.size(), 15u);
  EXPECT_EQ((*first)[0].points.front().t, 5000);
  EXPECT_TRUE(codec::IsStaleNaN((*first)[0].points.back().v));
  EXPECT_EQ((*second)[0].labels, b);
  EXPECT_EQ((*second)[0].points.back().v, -19);

  m->set_type(v1::LabelMatcher::REGEX);
  m->set_value("(x");
  batches.clear();
  st = read(req, &batches);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_TRUE(batches.empty());

  (*app)->RequestStop();
  loop.join();
}

TEST_F(ReporterAppTest, BadConfigFailsBeforeBindingWithPosition) {
  WriteConfig("rollout:\n  name: phase5\n  duration: forever\n");
  auto app = ReporterApp::Create(flags_, clock_);
  ASSERT_FALSE(app.ok());
  EXPECT_TRUE(std::string(app.status().message()).starts_with(config_ + ":3:13: ")) << app.status();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data"));
}

}  // namespace
}  // namespace vigil::reporter
