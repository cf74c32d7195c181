#include "services/reporter/reporter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "lib/bus/topics.h"
#include "lib/codec/samples.h"

namespace vigil::reporter {
namespace {

template <typename T>
bus::Message Msg(std::string_view topic, const T& payload) {
  bus::Message m;
  m.topic = std::string(topic);
  m.header.set_publisher("test");
  m.header.set_payload_type(std::string(T::descriptor()->full_name()));
  m.payload = payload.SerializeAsString();
  return m;
}

v1::AlertEvent Alert(std::string name, v1::AlertState state, TimestampMs t) {
  v1::AlertEvent e;
  labels::Labels ls{{"alertname", name}};
  e.set_fingerprint(ls.FingerprintHex());
  codec::ToProto(ls, e.mutable_labels());
  e.set_state(state);
  e.set_event_time_ms(t);
  e.set_active_at_ms(t);
  return e;
}

// Runs the core as the daemon does, on decoded bus messages, in virtual time.
class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("reporter_core_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = Store::Open((dir_ / "reporter.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    RolloutConfig config;
    config.rollout.name = "phase5";
    core_ = std::make_unique<Reporter>(config, *std::move(store), registry_);
  }
  void TearDown() override {
    core_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::map<std::string, double> Stats() {
    v1::ServiceStatus status;
    core_->FillStatus(&status);
    return {status.stats().begin(), status.stats().end()};
  }

  std::filesystem::path dir_;
  prometheus::Registry registry_;
  ManualClock clock_{FromMs(1'700'000'000'000)};
  std::unique_ptr<Reporter> core_;
};

TEST_F(ReporterTest, RecordsScrapesAlertsAndNotificationsOverTime) {
  labels::Labels up{{"__name__", "up"}, {"job", "demo"}};
  labels::Labels acc{{"__name__", "hybrid_rag_top3_accuracy_percent"}, {"job", "demo"}};
  // Ten scrape rounds, 15 s apart; an alert goes pending then firing on the way.
  for (int round = 0; round < 10; ++round) {
    TimestampMs now = clock_.NowMs();
    codec::SampleBatchBuilder b;
    b.Add(up, now, 1);
    b.Add(acc, now, 94.8 - round);
    std::vector<bus::Message> msgs{Msg(bus::kTopicSamples, b.Take())};
    if (round == 3 || round == 8) {
      v1::AlertBatch alerts;
      *alerts.add_alerts() =
          Alert("HybridRAGAccuracyLow",
                round == 3 ? v1::ALERT_STATE_PENDING : v1::ALERT_STATE_FIRING, now);
      msgs.push_back(Msg(bus::kTopicAlerts, alerts));
    }
    if (round == 9) {
      v1::Notification n;
      n.set_receiver("oncall");
      n.set_status("firing");
      n.set_sent_at_ms(now);
      msgs.push_back(Msg(bus::kTopicNotifications, n));
    }
    core_->OnMessages(msgs, now);
    core_->Tick(now);
    clock_.Advance(absl::Seconds(15));
  }

  auto stats = Stats();
  EXPECT_EQ(stats["samples_stored"], 20);
  EXPECT_EQ(stats["series"], 2);
  EXPECT_EQ(stats["alert_events_stored"], 2);
  EXPECT_EQ(stats["notifications_stored"], 1);
  EXPECT_EQ(stats["malformed_messages"], 0);

  auto rows = core_->store().ReadSamples(acc, 0, clock_.NowMs());
  ASSERT_EQ(rows->size(), 10u);
  EXPECT_DOUBLE_EQ(rows->back().value, 85.8);
  EXPECT_EQ(rows->back().t_ms - rows->front().t_ms, 9 * 15000);

  v1::ListAlertEventsRequest req;
  req.set_alertname("HybridRAGAccuracyLow");
  auto events = core_->ListAlertEvents(req);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->events_size(), 2);
  EXPECT_EQ(events->events(0).state(), "pending");
  EXPECT_EQ(events->events(1).state(), "firing");
  EXPECT_EQ(events->events(1).received_at_ms(), 1'700'000'000'000 + 8 * 15000);
  req.set_alertname("Other");
  EXPECT_EQ(core_->ListAlertEvents(req)->events_size(), 0);
}

TEST_F(ReporterTest, MalformedMessagesAreCountedAndDropped) {
  TimestampMs now = clock_.NowMs();
  std::vector<bus::Message> msgs;
  // Bytes that are not a SampleBatch.
  bus::Message garbage = Msg(bus::kTopicSamples, v1::SampleBatch());
  garbage.payload = "\xff\xff\xff";
  msgs.push_back(garbage);
  // The wrong payload type for the topic.
  msgs.push_back(Msg(bus::kTopicAlerts, v1::SampleBatch()));
  // A symbol reference out of range.
  v1::SampleBatch bad_refs;
  bad_refs.add_symbols("");
  bad_refs.add_series()->add_label_refs(7);
  bad_refs.mutable_series(0)->add_label_refs(8);
  msgs.push_back(Msg(bus::kTopicSamples, bad_refs));
  // An alert without fingerprint.
  v1::AlertBatch no_fp;
  no_fp.add_alerts()->set_state(v1::ALERT_STATE_FIRING);
  msgs.push_back(Msg(bus::kTopicAlerts, no_fp));
  // And one good batch among them.
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels{{"__name__", "up"}}, now, 1);
  msgs.push_back(Msg(bus::kTopicSamples, b.Take()));

  core_->OnMessages(msgs, now);
  EXPECT_EQ(core_->malformed(), 4u);
  auto stats = Stats();
  EXPECT_EQ(stats["malformed_messages"], 4);
  EXPECT_EQ(stats["samples_stored"], 1);
  EXPECT_EQ(stats["alert_events_stored"], 0);
  EXPECT_EQ(core_->store_errors(), 0u);
}

TEST_F(ReporterTest, RedeliveredMessagesAreIdempotent) {
  TimestampMs now = clock_.NowMs();
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels{{"__name__", "up"}}, now, 1);
  v1::AlertBatch alerts;
  *alerts.add_alerts() = Alert("X", v1::ALERT_STATE_FIRING, now);
  alerts.set_snapshot(true);
  std::vector<bus::Message> msgs{Msg(bus::kTopicSamples, b.Take()), Msg(bus::kTopicAlerts, alerts)};
  core_->OnMessages(msgs, now);
  core_->OnMessages(msgs, now + 60000);
  auto stats = Stats();
  EXPECT_EQ(stats["samples_stored"], 1);
  EXPECT_EQ(stats["alert_events_stored"], 1);
}

}  // namespace
}  // namespace vigil::reporter
