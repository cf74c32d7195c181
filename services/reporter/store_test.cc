#include "services/reporter/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "lib/codec/samples.h"

namespace vigil::reporter {
namespace {

// A fresh directory per test, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("store_test_" + std::to_string(getpid()) + "_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "reporter.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> OpenStore() {
    auto s = Store::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
};

v1::AlertEvent Alert(std::string name, v1::AlertState state, TimestampMs t, TimestampMs active) {
  v1::AlertEvent e;
  labels::Labels ls{{"alertname", name}, {"severity", "critical"}};
  e.set_fingerprint(ls.FingerprintHex());
  for (const auto& l : ls) {
    auto* p = e.add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  auto* a = e.add_annotations();
  a->set_name("summary");
  a->set_value("p95 \"high\"");
  e.set_state(state);
  e.set_event_time_ms(t);
  e.set_active_at_ms(active);
  if (state == v1::ALERT_STATE_FIRING) e.set_fired_at_ms(active + 300000);
  e.set_value(0.18);
  return e;
}

TEST_F(StoreTest, SeriesAreDeduplicatedAndSamplesReadBack) {
  auto store = OpenStore();
  labels::Labels up{{"__name__", "up"}, {"job", "demo"}, {"instance", "a:1"}};
  labels::Labels lat{{"__name__", "latency"}, {"job", "demo"}};
  {
    Store::Transaction txn(*store);
    ASSERT_TRUE(txn.status().ok());
    auto id1 = store->SeriesId(up);
    auto id2 = store->SeriesId(lat);
    auto id3 =
        store->SeriesId(labels::Labels{{"job", "demo"}, {"instance", "a:1"}, {"__name__", "up"}});
    ASSERT_TRUE(id1.ok() && id2.ok() && id3.ok());
    EXPECT_NE(*id1, *id2);
    EXPECT_EQ(*id1, *id3);
    EXPECT_TRUE(*store->AddSample(*id1, 1000, 1));
    EXPECT_TRUE(*store->AddSample(*id1, 2000, 0));
    EXPECT_FALSE(*store->AddSample(*id1, 2000, 5));  // same timestamp: the first one stays
    EXPECT_TRUE(*store->AddSample(*id1, 3000, codec::StaleNaN()));
    EXPECT_TRUE(*store->AddSample(*id2, 1000, std::nan("")));
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(store->series_count(), 2);
  EXPECT_EQ(store->sample_count(), 4);

  auto rows = store->ReadSamples(up, 0, 10000);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].t_ms, 1000);
  EXPECT_EQ((*rows)[0].value, 1);
  EXPECT_EQ((*rows)[1].value, 0);
  EXPECT_TRUE(codec::IsStaleNaN((*rows)[2].value));
  auto nan_rows = store->ReadSamples(lat, 0, 10000);
  ASSERT_EQ(nan_rows->size(), 1u);
  EXPECT_TRUE(std::isnan((*nan_rows)[0].value));
  EXPECT_FALSE(codec::IsStaleNaN((*nan_rows)[0].value));

  auto series = store->ListSeries();
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].name, "up");
  EXPECT_EQ((*series)[0].labels, R"(up{instance="a:1",job="demo"})");
}

TEST_F(StoreTest, UncommittedTransactionLeavesNothing) {
  auto store = OpenStore();
  {
    Store::Transaction txn(*store);
    auto id = store->SeriesId(labels::Labels{{"__name__", "up"}});
    ASSERT_TRUE(store->AddSample(*id, 1, 1).ok());
  }  // rolled back
  EXPECT_EQ(store->series_count(), 0);
  EXPECT_EQ(store->sample_count(), 0);
  EXPECT_TRUE(store->ListSeries()->empty());
  // The series id cache was dropped with the rollback: a new series row is created.
  Store::Transaction txn(*store);
  auto id = store->SeriesId(labels::Labels{{"__name__", "up"}});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(*store->AddSample(*id, 1, 1));
  ASSERT_TRUE(txn.Commit().ok());
  EXPECT_EQ(store->ReadSamples(labels::Labels{{"__name__", "up"}}, 0, 10)->size(), 1u);
}

TEST_F(StoreTest, AlertEventsKeepOneRowPerStateNewestLast) {
  auto store = OpenStore();
  Store::Transaction txn(*store);
  EXPECT_TRUE(
      *store->AddAlertEvent(Alert("HighLatency", v1::ALERT_STATE_PENDING, 1000, 1000), 1001));
  EXPECT_TRUE(
      *store->AddAlertEvent(Alert("HighLatency", v1::ALERT_STATE_FIRING, 301000, 1000), 301002));
  // Re-published firing alert: same state, not stored again.
  EXPECT_FALSE(
      *store->AddAlertEvent(Alert("HighLatency", v1::ALERT_STATE_FIRING, 361000, 1000), 361002));
  EXPECT_TRUE(
      *store->AddAlertEvent(Alert("ServiceDown", v1::ALERT_STATE_FIRING, 400000, 340000), 400001));
  ASSERT_TRUE(txn.Commit().ok());
  EXPECT_EQ(store->alert_event_count(), 3);

  auto all = store->ListAlertEvents("", 0);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].state(), "pending");
  EXPECT_EQ((*all)[2].alertname(), "ServiceDown");

  auto latency = store->ListAlertEvents("HighLatency", 1);
  ASSERT_EQ(latency->size(), 1u);
  const v1::StoredAlertEvent& e = (*latency)[0];
  EXPECT_EQ(e.state(), "firing");
  EXPECT_EQ(e.event_time_ms(), 301000);
  EXPECT_EQ(e.received_at_ms(), 301002);
  EXPECT_DOUBLE_EQ(e.value(), 0.18);
  ASSERT_EQ(e.labels_size(), 2);
  EXPECT_EQ(e.labels(0).name(), "alertname");
  EXPECT_EQ(e.labels(1).value(), "critical");
  ASSERT_EQ(e.annotations_size(), 1);
  EXPECT_EQ(e.annotations(0).value(), "p95 \"high\"");
}

// Acknowledgements: one row per thing said (HA replicas may both send it), newest first.
TEST_F(StoreTest, AcknowledgementsOncePerThingSaidNewestFirst) {
  auto store = OpenStore();
  v1::Acknowledgement alert;
  alert.set_fingerprint("0123456789abcdef");
  codec::ToProto(labels::Labels{{"alertname", "Down"}}, alert.mutable_labels());
  alert.set_who("ana");
  alert.set_comment("looking");
  alert.set_at_ms(1000);
  v1::Acknowledgement group;
  group.set_group_key(R"({}:{alertname="Down"})");
  group.set_who("bo");
  group.set_at_ms(2000);
  {
    Store::Transaction txn(*store);
    EXPECT_TRUE(*store->AddAcknowledgement(alert, 1001));
    EXPECT_FALSE(*store->AddAcknowledgement(alert, 1002));  // from the other replica
    EXPECT_TRUE(*store->AddAcknowledgement(group, 2001));
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(store->acknowledgement_count(), 2);
  auto all = store->ListAcknowledgements(0);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].who(), "bo");
  EXPECT_EQ((*all)[0].group_key(), R"({}:{alertname="Down"})");
  EXPECT_EQ((*all)[1].fingerprint(), "0123456789abcdef");
  EXPECT_EQ((*all)[1].comment(), "looking");
  EXPECT_EQ((*all)[1].at_ms(), 1000);
  ASSERT_EQ((*all)[1].labels_size(), 1);
  EXPECT_EQ((*all)[1].labels(0).value(), "Down");
  EXPECT_EQ(store->ListAcknowledgements(1)->size(), 1u);
}

TEST_F(StoreTest, ReopenedFileHasEverything) {
  labels::Labels up{{"__name__", "up"}, {"job", "demo"}};
  {
    auto store = OpenStore();
    Store::Transaction txn(*store);
    auto id = store->SeriesId(up);
    ASSERT_TRUE(*store->AddSample(*id, 5000, 1));
    ASSERT_TRUE(
        *store->AddAlertEvent(Alert("HighLatency", v1::ALERT_STATE_FIRING, 6000, 1000), 6001));
    v1::Notification n;
    n.set_receiver("oncall");
    n.set_group_key("{}:{alertname=\"HighLatency\"}");
    n.set_status("firing");
    n.add_fingerprints("abc");
    n.set_sent_at_ms(7000);
    n.set_delivered(true);
    n.set_attempts(1);
    ASSERT_TRUE(*store->AddNotification(n, 7001));
    EXPECT_FALSE(*store->AddNotification(n, 7002));  // the same notification again
    ASSERT_TRUE(txn.Commit().ok());
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  auto store = OpenStore();
  EXPECT_EQ(store->series_count(), 1);
  EXPECT_EQ(store->sample_count(), 1);
  EXPECT_EQ(store->alert_event_count(), 1);
  EXPECT_EQ(store->notification_count(), 1);
  auto rows = store->ReadSamples(up, 0, 10000);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].t_ms, 5000);
  EXPECT_EQ(store->ListAlertEvents("HighLatency", 0)->size(), 1u);
  // Existing series keep their id after reopening.
  Store::Transaction txn(*store);
  auto id = store->SeriesId(up);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (*store->ListSeries())[0].id);
  EXPECT_EQ(store->series_count(), 1);
}

TEST_F(StoreTest, SeriesPagesParseLabelsBackExactly) {
  auto store = OpenStore();
  // Values with everything the exposition form escapes or could be confused by.
  std::vector<labels::Labels> written = {
      labels::Labels{{"__name__", "up"}},
      labels::Labels{{"__name__", "odd:name"}, {"a", "x=\"y\""}, {"b", "back\\slash\\"}},
      labels::Labels{{"__name__", "m"}, {"v", "line\nbreak,{}\\n"}, {"w", "\""}},
      labels::Labels{{"__name__", "m"}, {"v", "é ünïcode"}, {"z", ","}},
  };
  {
    Store::Transaction txn(*store);
    for (const auto& ls : written) ASSERT_TRUE(store->SeriesId(ls).ok());
    ASSERT_TRUE(txn.Commit().ok());
  }
  auto first = store->ListSeriesAfter(0, 3);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);
  auto rest = store->ListSeriesAfter(first->back().id, 3);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_TRUE(store->ListSeriesAfter(rest->back().id, 3)->empty());
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*first)[i].labels, written[i]) << i;
  EXPECT_EQ((*rest)[0].labels, written[3]);
}

TEST_F(StoreTest, SeriesSamplesInRangeWithLimitAndBitExactStaleness) {
  auto store = OpenStore();
  int64_t id;
  {
    Store::Transaction txn(*store);
    id = *store->SeriesId(labels::Labels{{"__name__", "x"}});
    for (int t = 1; t <= 5; ++t) ASSERT_TRUE(*store->AddSample(id, t * 1000, t));
    ASSERT_TRUE(*store->AddSample(id, 6000, codec::StaleNaN()));
    ASSERT_TRUE(txn.Commit().ok());
  }
  auto rows = store->ReadSeriesSamples(id, 2000, 6000, 100);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].t_ms, 2000);
  uint64_t bits;
  std::memcpy(&bits, &(*rows)[4].value, sizeof bits);
  EXPECT_EQ(bits, codec::kStaleNaNBits);
  auto limited = store->ReadSeriesSamples(id, 2000, 6000, 2);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].t_ms, 3000);
  EXPECT_TRUE(store->ReadSeriesSamples(id + 1, 0, 10000, 100)->empty());
  EXPECT_TRUE(store->ReadSeriesSamples(id, 7000, 10000, 100)->empty());
}

TEST_F(StoreTest, OpenFailsWithPathInError) {
  auto s = Store::Open((dir_ / "missing" / "reporter.db").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("missing/reporter.db"), absl::string_view::npos);
}

}  // namespace
}  // namespace vigil::reporter
