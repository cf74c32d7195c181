// The notifier's durable state: the store round-trips what it holds, and a Dispatcher
// recovered from it after a "crash" (the old one simply dropped) neither repeats a
// delivered notification nor forgets an owed one.

#include "services/notifier/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "services/notifier/dispatcher.h"
#include "tests/support/process.h"

namespace vigil::notifier {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr TimestampMs kS = 1000;
constexpr TimestampMs kT0 = 1'700'000'000'000;

constexpr char kConfig[] = R"(
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: "http://127.0.0.1:1/hook"
        http_config: {authorization: {credentials: tok}}
)";

// A silence of alertname="A" for an hour from kT0.
Silence SilenceOfA() {
  Silence s;
  s.matchers.push_back(*labels::Matcher::Create(labels::MatchType::kEqual, "alertname", "A"));
  s.starts_at_ms = kT0;
  s.ends_at_ms = kT0 + 3600 * kS;
  return s;
}

std::shared_ptr<const Config> TestConfig() {
  auto cfg = ParseConfig("am.yml", kConfig);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return std::make_shared<const Config>(std::move(*cfg));
}

v1::AlertBatch Event(const labels::Labels& ls, bool firing, TimestampMs fired_at, TimestampMs now) {
  v1::AlertBatch b;
  v1::AlertEvent* e = b.add_alerts();
  for (const labels::LabelView& l : ls) {
    v1::Label* p = e->add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  e->set_state(firing ? v1::ALERT_STATE_FIRING : v1::ALERT_STATE_INACTIVE);
  e->set_fired_at_ms(fired_at);
  if (firing) {
    e->set_valid_until_ms(now + 240 * kS);
  } else {
    e->set_resolved_at_ms(now);
  }
  e->set_event_time_ms(now);
  return b;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = vigil::testing::MakeTempDir("notifier_store_test"); }
  void TearDown() override { vigil::testing::RemoveTree(dir_); }
  // A fresh process: reopens the file and recovers a new dispatcher from it.
  std::vector<Notification> Restart(TimestampMs now) {
    dispatcher_.reset();
    store_.reset();
    auto s = Store::Open(dir_ + "/notifier.db");
    EXPECT_TRUE(s.ok()) << s.status();
    store_ = std::make_unique<StoreWriter>(std::move(*s));
    dispatcher_ = std::make_unique<Dispatcher>(TestConfig(), "http://am", store_.get());
    dispatcher_->set_loop([this](std::function<void()> task) {
      absl::MutexLock lock(&loop_mu_);
      loop_.push_back(std::move(task));
    });
    auto owed = dispatcher_->Recover(now);
    EXPECT_TRUE(owed.ok()) << owed.status();
    return *owed;
  }
  void Deliver(const Notification& n) {
    dispatcher_->OnDeliveryResult({.id = n.id, .final = true, .delivered = true, .attempts = 1});
  }
  // Runs SQL on a second connection to the file: triggers that make the writer's writes
  // fail as a full or broken disk would.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the notifier may hold a lock a moment
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_free(error);
    sqlite3_close(db);
  }
  void FailInserts(const std::string& table) {
    Sql("CREATE TRIGGER fail_" + table + " BEFORE INSERT ON " + table +
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  }
  void HealInserts(const std::string& table) { Sql("DROP TRIGGER fail_" + table); }
  // Runs `work` on the dispatcher as an API request does: the writes it queues under a
  // claim, answered once they are done.
  template <typename Fn>
  absl::Status Request(Fn work) {
    StoreWriter::Claim claim = store_->Begin();
    work();
    store_->End(&claim);
    return store_->WaitStored(claim, absl::Seconds(30));
  }
  // Waits for the writes queued so far, then runs on this thread (the loop) what they
  // posted: the changes they made live.
  void Settle() {
    store_->WaitDurable(store_->last(), absl::InfiniteDuration());
    std::vector<std::function<void()>> tasks;
    {
      absl::MutexLock lock(&loop_mu_);
      tasks.swap(loop_);
    }
    for (auto& task : tasks) task();
  }
  // The integers `sql` selects, read on a second, plain connection (Store::Open would
  // drop duplicate rows first).
  std::vector<int64_t> Ints(const std::string& sql) {
    std::vector<int64_t> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ + "/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the notifier may hold a lock a moment
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  int64_t Rows(const std::string& table) { return Ints("SELECT count(*) FROM " + table)[0]; }
  size_t StoredAlerts() { return static_cast<size_t>(Rows("alerts")); }

  std::string dir_;
  std::unique_ptr<StoreWriter> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  absl::Mutex loop_mu_;
  std::vector<std::function<void()>> loop_ ABSL_GUARDED_BY(loop_mu_);
  const labels::Labels a_{{"alertname", "A"}, {"instance", "1"}};
};

TEST_F(StoreTest, RoundTripsAlertsLogOutboxAndSilences) {
  auto s = Store::Open(":memory:");
  ASSERT_TRUE(s.ok()) << s.status();
  Store& store = **s;
  Alert a{.labels = a_,
          .annotations = {{"summary", "x"}, {"empty", ""}},  // kept, as Alertmanager
          .starts_at_ms = 1,
          .ends_at_ms = 2,
          .generator_url = "g",
          .fingerprint = a_.Fingerprint(),
          .updated_at_ms = 3};
  ASSERT_TRUE(store.PutAlert(a).ok());
  auto alerts = store.LoadAlerts();
  ASSERT_TRUE(alerts.ok());
  EXPECT_THAT(*alerts, ElementsAre(a));

  LogEntry e{{1, 2}, {3}, 10, 7};
  ASSERT_TRUE(store.PutLog("k", e).ok());
  auto log = store.LoadLog();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->count("k"), 1u);
  EXPECT_EQ(log->at("k").firing, e.firing);
  EXPECT_EQ(log->at("k").resolved, e.resolved);
  EXPECT_EQ(log->at("k").sequence, 7u);
  ASSERT_TRUE(store.DeleteLogBefore(11).ok());
  EXPECT_THAT(*store.LoadLog(), IsEmpty());

  Notification n{.receiver = "hook",
                 .integration = {Integration::Kind::kWebhook, 0, "http://h", true, 5},
                 .group_key = "{}:{}",
                 .sequence = 4,
                 .status = "firing",
                 .fingerprints = {"00000000000000aa", "00000000000000bb"},
                 .body = "{\"x\":1}",
                 .created_ms = 9};
  ASSERT_TRUE(store.PutOutbox(n, e).ok());
  auto outbox = store.LoadOutbox();
  ASSERT_TRUE(outbox.ok());
  ASSERT_THAT(*outbox, SizeIs(1));
  const Notification& m = (*outbox)[0].notification;
  EXPECT_EQ(m.StreamKey(), n.StreamKey());
  EXPECT_EQ(m.integration.target, "http://h");
  EXPECT_EQ(m.integration.max_alerts, 5);
  EXPECT_EQ(m.sequence, 4u);
  EXPECT_EQ(m.fingerprints, n.fingerprints);
  EXPECT_EQ(m.body, n.body);
  EXPECT_EQ((*outbox)[0].entry.firing, e.firing);
  // Only the row still holding that sequence is deleted.
  ASSERT_TRUE(store.DeleteOutbox(n.StreamKey(), 3).ok());
  EXPECT_THAT(*store.LoadOutbox(), SizeIs(1));
  ASSERT_TRUE(store.DeleteOutbox(n.StreamKey(), 4).ok());
  EXPECT_THAT(*store.LoadOutbox(), IsEmpty());

  ASSERT_TRUE(store.PutSilence({"s1", "{}", 100, 50}).ok());
  EXPECT_THAT(*store.LoadSilences(), ElementsAre("{}"));
  // An older version (a peer's, merged while ours was queued) does not replace a newer one;
  // one updated at the same time or later does.
  ASSERT_TRUE(store.PutSilence({"s1", "older", 100, 49}).ok());
  EXPECT_THAT(*store.LoadSilences(), ElementsAre("{}"));
  ASSERT_TRUE(store.PutSilence({"s1", "same", 100, 50}).ok());
  EXPECT_THAT(*store.LoadSilences(), ElementsAre("same"));
  ASSERT_TRUE(store.DeleteSilencesEndedBefore(101).ok());
  EXPECT_THAT(*store.LoadSilences(), IsEmpty());
}

// Label and annotation text of every kind comes back as it went in: quotes, backslashes,
// control characters, HTML, non-ASCII; invalid UTF-8 comes back as U+FFFD (as Go's JSON).
TEST_F(StoreTest, AlertTextOfEveryKindRoundTrips) {
  auto s = Store::Open(":memory:");
  ASSERT_TRUE(s.ok()) << s.status();
  const labels::Labels ls{{"alertname", "q\"b\\s\n\t\x01<a>&"}, {"zone", "z\u00fcrich \u2028 \U0001F600"}};
  Alert a{.labels = ls,
          .annotations = {{"bad", std::string("x\xff\xc3y")}, {"empty", ""}},
          .fingerprint = ls.Fingerprint()};
  ASSERT_TRUE((*s)->PutAlert(a).ok());
  auto alerts = (*s)->LoadAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_THAT(*alerts, SizeIs(1));
  EXPECT_EQ((*alerts)[0].labels, ls);
  Alert expected = a;
  expected.annotations = {{"bad", "x\ufffd\ufffdy"}, {"empty", ""}};
  EXPECT_EQ((*alerts)[0].annotations, expected.annotations);
}

TEST(FingerprintsTest, EncodedAsSortedSixteenDigitHexAndDecodedBack) {
  EXPECT_EQ(EncodeFingerprints({}), "");
  const FingerprintSet set{0xffffffffffffffffULL, 0, 0xab};
  EXPECT_EQ(EncodeFingerprints(set), "0000000000000000,00000000000000ab,ffffffffffffffff");
  EXPECT_EQ(DecodeFingerprints(EncodeFingerprints(set)), set);
}

// A store written before silences kept their update time takes the column on opening; its
// rows count as the oldest.
TEST_F(StoreTest, AStoreFromBeforeSilenceUpdateTimesIsMigrated) {
  Sql("CREATE TABLE silences(id TEXT PRIMARY KEY, json TEXT NOT NULL, ends_at_ms INTEGER NOT "
      "NULL); INSERT INTO silences VALUES('s1', 'old', 100)");
  auto store = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->PutSilence({"s1", "new", 100, 1}).ok());
  EXPECT_THAT(*(*store)->LoadSilences(), ElementsAre("new"));
}

// A notification of group `group`, the `sequence`th of its stream.
Notification Owed(const std::string& group, uint64_t sequence) {
  return Notification{.receiver = "hook",
                      .integration = {Integration::Kind::kWebhook, 0, "http://h", true, 0},
                      .group_key = group,
                      .sequence = sequence,
                      .status = "firing",
                      .fingerprints = {"00000000000000aa"},
                      .body = group + "/" + std::to_string(sequence),
                      .created_ms = static_cast<TimestampMs>(sequence)};
}

std::vector<std::string> Bodies(Store& store) {
  std::vector<std::string> out;
  for (const Store::OutboxRow& row : *store.LoadOutbox()) out.push_back(row.notification.body);
  return out;
}

// A store keyed alerts by fingerprint and the log by stream key before row ids: opening
// it moves every row over, and it works as a new one afterwards.
TEST_F(StoreTest, AStoreFromBeforeRowIdsIsMigrated) {
  const Alert a{.labels = a_, .starts_at_ms = 1, .ends_at_ms = 2, .generator_url = "g",
                .fingerprint = a_.Fingerprint(), .updated_at_ms = 3};
  Sql("CREATE TABLE alerts(fingerprint INTEGER PRIMARY KEY, labels_json TEXT NOT NULL, "
      "annotations_json TEXT NOT NULL, starts_at_ms INTEGER NOT NULL, ends_at_ms INTEGER NOT "
      "NULL, updated_at_ms INTEGER NOT NULL, generator_url TEXT NOT NULL, timeout INTEGER NOT "
      "NULL); CREATE TABLE nflog(stream_key TEXT PRIMARY KEY, firing TEXT NOT NULL, resolved "
      "TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, sequence INTEGER NOT NULL);"
      "INSERT INTO alerts VALUES(" + std::to_string(static_cast<int64_t>(a.fingerprint)) +
      ", '[[\"alertname\",\"A\"],[\"instance\",\"1\"]]', '[]', 1, 2, 3, 'g', 0);"
      "INSERT INTO nflog VALUES('k', '00000000000000aa', '', 10, 7);"
      // The outbox of that time, keyed by stream key too (migrated by the next step).
      "CREATE TABLE outbox(stream_key TEXT PRIMARY KEY, receiver TEXT NOT NULL, kind INTEGER "
      "NOT NULL, idx INTEGER NOT NULL, target TEXT NOT NULL, send_resolved INTEGER NOT NULL, "
      "max_alerts INTEGER NOT NULL, group_key TEXT NOT NULL, sequence INTEGER NOT NULL, "
      "status TEXT NOT NULL, fingerprints TEXT NOT NULL, body TEXT NOT NULL, created_ms "
      "INTEGER NOT NULL, firing TEXT NOT NULL, resolved TEXT NOT NULL);"
      "INSERT INTO outbox VALUES('g\x1fhook\x1fwebhook[0]', 'hook', 0, 0, 'http://h', 1, 0, "
      "'g', 3, 'firing', '00000000000000aa', 'g/3', 20, '00000000000000aa', '')");
  {
    auto store = Store::Open(dir_ + "/notifier.db");
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_THAT(*(*store)->LoadAlerts(), ElementsAre(a));
    EXPECT_THAT(Bodies(**store), ElementsAre("g/3"));
    ASSERT_TRUE((*store)->DeleteOutbox(Owed("g", 3).StreamKey(), 3).ok());
    EXPECT_THAT(Bodies(**store), IsEmpty());
    auto log = (*store)->LoadLog();
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->count("k"), 1u);
    EXPECT_EQ(log->at("k").sequence, 7u);
    EXPECT_EQ(log->at("k").firing, FingerprintSet{0xaa});
    // The migrated rows are found again: replaced in place, deleted.
    Alert b = a;
    b.ends_at_ms = 5;
    ASSERT_TRUE((*store)->PutAlert(b).ok());
    EXPECT_THAT(*(*store)->LoadAlerts(), ElementsAre(b));
    ASSERT_TRUE((*store)->PutLog("k", LogEntry{{}, {0xaa}, 20, 8}).ok());
    EXPECT_EQ((*store)->LoadLog()->at("k").sequence, 8u);
    EXPECT_THAT(*(*store)->LoadLog(), SizeIs(1));
    ASSERT_TRUE((*store)->DeleteAlert(a.fingerprint).ok());
    EXPECT_THAT(*(*store)->LoadAlerts(), IsEmpty());
  }
  auto reopened = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_THAT(*(*reopened)->LoadAlerts(), IsEmpty());
  EXPECT_EQ((*reopened)->LoadLog()->at("k").sequence, 8u);
  EXPECT_EQ(Rows("nflog"), 1);
  EXPECT_THAT(Ints("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%\\_by\\_%' ESCAPE '\\'"),
              ElementsAre(0));
}

// An outbox keyed by stream key before its row ids: opening it moves every owed
// notification over, in the order they were made, and they are replaced and deleted as
// new ones afterwards.
TEST_F(StoreTest, AStoreFromBeforeOutboxRowIdsIsMigrated) {
  Sql("CREATE TABLE outbox(stream_key TEXT PRIMARY KEY, receiver TEXT NOT NULL, kind INTEGER "
      "NOT NULL, idx INTEGER NOT NULL, target TEXT NOT NULL, send_resolved INTEGER NOT NULL, "
      "max_alerts INTEGER NOT NULL, group_key TEXT NOT NULL, sequence INTEGER NOT NULL, "
      "status TEXT NOT NULL, fingerprints TEXT NOT NULL, body TEXT NOT NULL, created_ms "
      "INTEGER NOT NULL, firing TEXT NOT NULL, resolved TEXT NOT NULL);"
      "INSERT INTO outbox VALUES('b\x1fhook\x1fwebhook[0]', 'hook', 0, 0, 'http://h', 1, 0, "
      "'b', 3, 'firing', '00000000000000aa', 'b/3', 20, '00000000000000aa', '');"
      "INSERT INTO outbox VALUES('a\x1fhook\x1fwebhook[0]', 'hook', 0, 0, 'http://h', 1, 0, "
      "'a', 5, 'firing', '00000000000000aa', 'a/5', 10, '00000000000000aa', '')");
  {
    auto store = Store::Open(dir_ + "/notifier.db");
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_THAT(Bodies(**store), ElementsAre("a/5", "b/3"));
    ASSERT_TRUE((*store)->PutOutbox(Owed("b", 4), LogEntry{}).ok());
    EXPECT_THAT(Bodies(**store), ElementsAre("a/5", "b/4"));
    ASSERT_TRUE((*store)->DeleteOutbox(Owed("a", 5).StreamKey(), 5).ok());
    EXPECT_THAT(Bodies(**store), ElementsAre("b/4"));
  }
  auto reopened = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_THAT(Bodies(**reopened), ElementsAre("b/4"));
  EXPECT_EQ(Rows("outbox"), 1);
  EXPECT_THAT(Ints("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%\\_by\\_%' ESCAPE '\\'"),
              ElementsAre(0));
}

// A replacement whose insert fails leaves the older notification owed, and its deletion
// by sequence still finds it; two rows of one stream are loaded as the newer.
TEST_F(StoreTest, AFailedReplacementKeepsTheOlderNotificationOwed) {
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  Store& store = **s;
  ASSERT_TRUE(store.PutOutbox(Owed("g", 1), {}).ok());
  FailInserts("outbox");
  EXPECT_FALSE(store.PutOutbox(Owed("g", 2), {}).ok());  // no savepoint around it
  HealInserts("outbox");
  EXPECT_THAT(Bodies(store), ElementsAre("g/1"));
  ASSERT_TRUE(store.DeleteOutbox(Owed("g", 1).StreamKey(), 1).ok());
  EXPECT_EQ(Rows("outbox"), 0);
  Sql("INSERT INTO outbox VALUES(100, 'k', 'hook', 0, 0, 'http://h', 1, 0, 'g', 1, 'firing', "
      "'', 'old', 1, '', '');"
      "INSERT INTO outbox VALUES(101, 'k', 'hook', 0, 0, 'http://h', 1, 0, 'g', 2, 'firing', "
      "'', 'new', 2, '', '')");
  EXPECT_THAT(Bodies(store), ElementsAre("new"));
}

// A store records its format; one of a later format than this binary's is not opened
// (an older binary would misread it), and the error names the file.
TEST_F(StoreTest, AStoreOfALaterFormatIsRefused) {
  { ASSERT_TRUE(Store::Open(dir_ + "/notifier.db").ok()); }
  EXPECT_THAT(Ints("PRAGMA user_version"), ElementsAre(1));
  Sql("PRAGMA user_version = 2");
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(s.status())) << s.status();
  EXPECT_THAT(std::string(s.status().message()),
              ::testing::AllOf(::testing::HasSubstr(dir_ + "/notifier.db"),
                               ::testing::HasSubstr("store format 2")));
}

// Owed notifications are appended in the order written; a newer one of a stream replaces
// the older (which can then no longer be deleted by its sequence), and after reopening
// the store still finds each stream's row.
TEST_F(StoreTest, OwedNotificationsAreAppendedAndANewerOneReplacesTheOlder) {
  {
    auto s = Store::Open(dir_ + "/notifier.db");
    ASSERT_TRUE(s.ok()) << s.status();
    Store& store = **s;
    for (const char* g : {"g0", "g1", "g2"}) ASSERT_TRUE(store.PutOutbox(Owed(g, 1), {}).ok());
    ASSERT_TRUE(store.PutOutbox(Owed("g1", 2), {}).ok());
    EXPECT_THAT(Bodies(store), ElementsAre("g0/1", "g2/1", "g1/2"));
    EXPECT_EQ(Rows("outbox"), 3);
    ASSERT_TRUE(store.DeleteOutbox(Owed("g1", 1).StreamKey(), 1).ok());  // superseded
    ASSERT_TRUE(store.DeleteOutbox(Owed("g9", 1).StreamKey(), 1).ok());  // never owed
    EXPECT_THAT(Bodies(store), ElementsAre("g0/1", "g2/1", "g1/2"));
    ASSERT_TRUE(store.DeleteOutbox(Owed("g0", 1).StreamKey(), 1).ok());
    EXPECT_THAT(Bodies(store), ElementsAre("g2/1", "g1/2"));
  }
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->DeleteOutbox(Owed("g1", 2).StreamKey(), 2).ok());
  ASSERT_TRUE((*s)->PutOutbox(Owed("g2", 2), {}).ok());
  EXPECT_THAT(Bodies(**s), ElementsAre("g2/2"));
  EXPECT_EQ(Rows("outbox"), 1);
}

// New alerts and log streams are appended in the order written (row ids increase), and
// a rewritten one keeps its row: one row per alert and per stream, however often written.
TEST_F(StoreTest, RowsAreAppendedInWriteOrderAndRewrittenInPlace) {
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  Store& store = **s;
  std::vector<uint64_t> written;
  for (int i = 0; i < 5; ++i) {
    labels::Labels ls{{"alertname", "A"}, {"instance", std::to_string(i)}};
    Alert a{.labels = ls, .ends_at_ms = 10, .fingerprint = ls.Fingerprint()};
    ASSERT_TRUE(store.PutAlert(a).ok());
    a.ends_at_ms = 20;
    ASSERT_TRUE(store.PutAlert(a).ok());
    written.push_back(a.fingerprint);
    ASSERT_TRUE(store.PutLog("stream" + std::to_string(i), LogEntry{{}, {}, 10, 1}).ok());
    ASSERT_TRUE(store.PutLog("stream" + std::to_string(i), LogEntry{{}, {}, 20, 2}).ok());
  }
  std::vector<uint64_t> in_row_order;
  for (int64_t fp : Ints("SELECT fingerprint FROM alerts ORDER BY id")) {
    in_row_order.push_back(static_cast<uint64_t>(fp));
  }
  const std::vector<int64_t> log_ids = Ints("SELECT id FROM nflog ORDER BY id");
  std::vector<int64_t> streams_in_row_order =
      Ints("SELECT CAST(substr(stream_key, 7) AS INTEGER) FROM nflog ORDER BY id");
  EXPECT_EQ(in_row_order, written);
  EXPECT_THAT(streams_in_row_order, ElementsAre(0, 1, 2, 3, 4));
  auto alerts = store.LoadAlerts();
  ASSERT_THAT(*alerts, SizeIs(5));
  for (const Alert& a : *alerts) EXPECT_EQ(a.ends_at_ms, 20);
  auto log = store.LoadLog();
  ASSERT_THAT(*log, SizeIs(5));
  for (const auto& [key, e] : *log) EXPECT_EQ(e.sequence, 2u) << key;
  // An expired stream written again is a new row, after the others.
  ASSERT_TRUE(store.DeleteLogBefore(30).ok());
  ASSERT_TRUE(store.PutLog("stream1", LogEntry{{}, {}, 40, 3}).ok());
  const std::vector<int64_t> after = Ints("SELECT id FROM nflog");
  ASSERT_THAT(after, SizeIs(1));
  EXPECT_GT(after[0], log_ids.back());
}

// A write rolled back (its savepoint or the whole transaction) may have added or removed a
// row the store's map of rows already counted: the next writes still leave exactly one row
// per alert and per stream, holding the last write.
TEST_F(StoreTest, RolledBackWritesLeaveOneRowPerAlertAndStream) {
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  Store& store = **s;
  Alert a{.labels = a_, .ends_at_ms = 10, .fingerprint = a_.Fingerprint()};
  {  // an insert rolled back
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.PutAlert(a).ok());
    ASSERT_TRUE(store.PutLog("k", LogEntry{{}, {}, 10, 1}).ok());
  }
  EXPECT_EQ(Rows("alerts"), 0);
  EXPECT_EQ(Rows("nflog"), 0);
  a.ends_at_ms = 20;
  ASSERT_TRUE(store.PutAlert(a).ok());
  ASSERT_TRUE(store.PutLog("k", LogEntry{{}, {}, 20, 2}).ok());
  EXPECT_EQ(Rows("alerts"), 1);
  EXPECT_EQ(Rows("nflog"), 1);
  {  // deletes rolled back with their savepoint (as the writer does for a failed write)
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.DeleteAlert(a.fingerprint).ok());
    ASSERT_TRUE(store.DeleteLogBefore(100).ok());
  }
  EXPECT_EQ(Rows("alerts"), 1);
  EXPECT_EQ(Rows("nflog"), 1);
  a.ends_at_ms = 25;
  ASSERT_TRUE(store.PutAlert(a).ok());
  ASSERT_TRUE(store.PutLog("k", LogEntry{{}, {}, 25, 3}).ok());
  EXPECT_EQ(Rows("alerts"), 1);
  EXPECT_EQ(Rows("nflog"), 1);
  {  // deletes rolled back with the transaction they were kept into
    Store::Transaction tx(&store);
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.DeleteAlert(a.fingerprint).ok());
    ASSERT_TRUE(store.DeleteLogBefore(100).ok());
    ASSERT_TRUE(write.Keep().ok());
  }
  EXPECT_EQ(Rows("alerts"), 1);
  EXPECT_EQ(Rows("nflog"), 1);
  a.ends_at_ms = 30;
  ASSERT_TRUE(store.PutAlert(a).ok());
  ASSERT_TRUE(store.PutLog("k", LogEntry{{}, {}, 30, 4}).ok());
  EXPECT_EQ(Rows("alerts"), 1);
  EXPECT_EQ(Rows("nflog"), 1);
  EXPECT_THAT(*store.LoadAlerts(), ElementsAre(a));
  EXPECT_EQ(store.LoadLog()->at("k").sequence, 4u);
  ASSERT_TRUE(store.DeleteAlert(a.fingerprint).ok());
  EXPECT_EQ(Rows("alerts"), 0);
}

// The same for owed notifications: an insert, a replacement and a deletion rolled back
// leave the stream's last kept notification, and later writes find its row.
TEST_F(StoreTest, RolledBackWritesLeaveOneOwedNotificationPerStream) {
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  Store& store = **s;
  const std::string key = Owed("g", 1).StreamKey();
  {  // an insert rolled back
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.PutOutbox(Owed("g", 1), {}).ok());
  }
  EXPECT_EQ(Rows("outbox"), 0);
  ASSERT_TRUE(store.DeleteOutbox(key, 1).ok());
  ASSERT_TRUE(store.PutOutbox(Owed("g", 2), {}).ok());
  EXPECT_THAT(Bodies(store), ElementsAre("g/2"));
  {  // a replacement rolled back with the transaction it was kept into
    Store::Transaction tx(&store);
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.PutOutbox(Owed("g", 3), {}).ok());
    ASSERT_TRUE(write.Keep().ok());
  }
  EXPECT_THAT(Bodies(store), ElementsAre("g/2"));
  {  // a deletion rolled back
    Store::Savepoint write(&store);
    ASSERT_TRUE(store.DeleteOutbox(key, 2).ok());
  }
  EXPECT_THAT(Bodies(store), ElementsAre("g/2"));
  ASSERT_TRUE(store.PutOutbox(Owed("g", 4), {}).ok());
  EXPECT_THAT(Bodies(store), ElementsAre("g/4"));
  ASSERT_TRUE(store.DeleteOutbox(key, 4).ok());
  EXPECT_EQ(Rows("outbox"), 0);
}

// Two rows for one alert or stream (written by a store that lost track of a rollback)
// are read as the newer one, and the older is dropped on opening.
TEST_F(StoreTest, OpeningKeepsTheNewestRowOfAnAlertOrStream) {
  { ASSERT_TRUE(Store::Open(dir_ + "/notifier.db").ok()); }
  const std::string fp = std::to_string(static_cast<int64_t>(a_.Fingerprint()));
  const std::string labels = "'[[\"alertname\",\"A\"],[\"instance\",\"1\"]]'";
  Sql("INSERT INTO alerts VALUES(1, " + fp + ", " + labels + ", '[]', 1, 10, 0, '', 0);"
      "INSERT INTO alerts VALUES(2, " + fp + ", " + labels + ", '[]', 1, 20, 0, '', 0);"
      "INSERT INTO nflog VALUES(1, 'k', '', '', 10, 1);"
      "INSERT INTO nflog VALUES(2, 'k', '', '', 20, 2);"
      "INSERT INTO outbox VALUES(1, 'k', 'hook', 0, 0, 'http://h', 1, 0, 'g', 1, 'firing', "
      "'', 'old', 1, '', '');"
      "INSERT INTO outbox VALUES(2, 'k', 'hook', 0, 0, 'http://h', 1, 0, 'g', 2, 'firing', "
      "'', 'new', 2, '', '')");
  auto s = Store::Open(dir_ + "/notifier.db");
  ASSERT_TRUE(s.ok()) << s.status();
  auto alerts = (*s)->LoadAlerts();
  ASSERT_THAT(*alerts, SizeIs(1));
  EXPECT_EQ((*alerts)[0].ends_at_ms, 20);
  EXPECT_EQ((*s)->LoadLog()->at("k").sequence, 2u);
  EXPECT_THAT(Ints("SELECT id FROM alerts"), ElementsAre(2));
  EXPECT_THAT(Ints("SELECT id FROM nflog"), ElementsAre(2));
  EXPECT_THAT(Bodies(**s), ElementsAre("new"));
  EXPECT_THAT(Ints("SELECT id FROM outbox"), ElementsAre(2));
}

// A client told "not stored" (HTTP 500) retries the same alert: the retry writes the row
// again rather than finding it "already stored" and answering OK for nothing.
TEST_F(StoreTest, AnAlertWhoseRowWriteFailedIsWrittenAgainOnRetry) {
  Restart(kT0);
  FailInserts("alerts");
  const v1::AlertBatch batch = Event(a_, true, kT0, kT0);
  EXPECT_FALSE(Request([&] { dispatcher_->OnAlerts(batch, kT0); }).ok());
  HealInserts("alerts");
  EXPECT_TRUE(Request([&] { dispatcher_->OnAlerts(batch, kT0); }).ok());
  EXPECT_EQ(StoredAlerts(), 1u);
  // Stored now: the next copy is left alone again.
  {
    StoreWriter::Claim again = store_->Begin();
    dispatcher_->OnAlerts(batch, kT0);
    store_->End(&again);
    EXPECT_EQ(again.tickets().after, again.tickets().upto);
  }
  EXPECT_EQ(Restart(kT0 + kS).size(), 0u);
  EXPECT_EQ(dispatcher_->ActiveAlerts(kT0 + kS), 1u);
}

// A request that finds its alert's row as it needs it, but only queued by an earlier
// request and not committed yet (Prometheus's HA twin posting the same alert), writes
// nothing itself and is told how that earlier write went: an error when it failed, so
// that neither client is answered OK for an alert a crash would lose.
TEST_F(StoreTest, ARequestWhoseAlertIsOnlyQueuedIsToldHowThatWriteWent) {
  Restart(kT0);
  FailInserts("alerts");
  absl::Notification go;
  store_->Write([&go](Store&) {  // holds the next commit back
    go.WaitForNotification();
    return absl::OkStatus();
  });
  const v1::AlertBatch batch = Event(a_, true, kT0, kT0);
  StoreWriter::Claim first = store_->Begin();
  dispatcher_->OnAlerts(batch, kT0);
  store_->End(&first);
  StoreWriter::Claim twin = store_->Begin();
  dispatcher_->OnAlerts(batch, kT0);
  store_->End(&twin);
  EXPECT_EQ(twin.tickets().after, twin.tickets().upto);  // it queued nothing of its own
  go.Notify();
  EXPECT_FALSE(store_->WaitStored(first, absl::InfiniteDuration()).ok());
  EXPECT_FALSE(store_->WaitStored(twin, absl::InfiniteDuration()).ok());

  // Either client's retry writes it; a copy after that commit is told OK without a write.
  HealInserts("alerts");
  EXPECT_TRUE(Request([&] { dispatcher_->OnAlerts(batch, kT0); }).ok());
  EXPECT_EQ(StoredAlerts(), 1u);
  EXPECT_TRUE(Request([&] { dispatcher_->OnAlerts(batch, kT0); }).ok());
}

// A silence or acknowledgement the store did not keep is nowhere: not live, not sent to the
// peers, not there after a restart; the retry then makes exactly one.
TEST_F(StoreTest, ASilenceOrAcknowledgementNotStoredIsNotApplied) {
  Restart(kT0);
  std::vector<std::string> published;
  dispatcher_->set_on_local_silence([&](const Silence& s) { published.push_back(s.id); });
  dispatcher_->set_on_local_ack(
      [&](const v1::Acknowledgement& a) { published.push_back(a.who()); });
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  const Silence silence = SilenceOfA();
  v1::AcknowledgeRequest ack;
  ack.set_fingerprint(a_.FingerprintHex());
  ack.set_who("alice");

  FailInserts("silences");
  FailInserts("acks");
  absl::StatusOr<Silence> set;
  EXPECT_FALSE(Request([&] { set = dispatcher_->SetSilence(silence, kT0); }).ok());
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<v1::Acknowledgement> acked;
  EXPECT_FALSE(Request([&] { acked = dispatcher_->Acknowledge(ack, kT0); }).ok());
  ASSERT_TRUE(acked.ok()) << acked.status();
  Settle();
  EXPECT_EQ(dispatcher_->silences().size(), 0u);
  EXPECT_THAT(dispatcher_->silences().Mutes(a_, kT0), IsEmpty());
  EXPECT_THAT(dispatcher_->Acknowledgements(0), IsEmpty());
  EXPECT_THAT(published, IsEmpty());

  HealInserts("silences");
  HealInserts("acks");
  EXPECT_TRUE(Request([&] { set = dispatcher_->SetSilence(silence, kT0); }).ok());
  EXPECT_TRUE(Request([&] { acked = dispatcher_->Acknowledge(ack, kT0); }).ok());
  Settle();
  EXPECT_THAT(published, ElementsAre(set->id, "alice"));
  Restart(kT0 + kS);
  EXPECT_EQ(dispatcher_->silences().size(), 1u);
  EXPECT_THAT(dispatcher_->Acknowledgements(0), SizeIs(1));
}

// An update that replaces a silence writes two rows: the old one expired, the new one. When
// the second fails, the first is not stored either: the old silence, still live in memory,
// still mutes after a restart.
TEST_F(StoreTest, ASilenceUpdateWhoseSecondRowFailsStoresNeither) {
  Restart(kT0);
  const Silence silence = SilenceOfA();
  absl::StatusOr<Silence> set;
  ASSERT_TRUE(Request([&] { set = dispatcher_->SetSilence(silence, kT0); }).ok());
  ASSERT_TRUE(set.ok()) << set.status();
  Settle();

  Sql("CREATE TRIGGER fail_new BEFORE INSERT ON silences WHEN NEW.id <> '" + set->id +
      "' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  Silence update = *set;  // other matchers: a new silence, the old one expired
  update.matchers.push_back(*labels::Matcher::Create(labels::MatchType::kEqual, "instance", "1"));
  absl::StatusOr<Silence> updated;
  EXPECT_FALSE(Request([&] { updated = dispatcher_->SetSilence(update, kT0 + kS); }).ok());
  ASSERT_TRUE(updated.ok()) << updated.status();
  Settle();
  EXPECT_THAT(dispatcher_->silences().Mutes(a_, kT0 + kS), ElementsAre(set->id));
  Restart(kT0 + 2 * kS);
  EXPECT_THAT(dispatcher_->silences().Mutes(a_, kT0 + 2 * kS), ElementsAre(set->id));
}

// HA: a peer's older version of a silence, merged while our newer change of it is queued
// (not live yet, so the merge takes it), is stored after ours; the store keeps ours, as
// memory does once ours is made, so a restart finds what was live.
TEST_F(StoreTest, APeersOlderSilenceMergedWhileOursIsQueuedDoesNotOverwriteOurs) {
  Restart(kT0);
  const Silence silence = SilenceOfA();
  auto set = dispatcher_->SetSilence(silence, kT0);
  ASSERT_TRUE(set.ok()) << set.status();
  Settle();
  Silence peers = *set;  // the peer's update of it, older than our expiry below
  peers.comment = "still needed";
  peers.updated_at_ms = kT0 + kS;
  ASSERT_TRUE(dispatcher_->ExpireSilence(set->id, kT0 + 2 * kS).ok());
  EXPECT_TRUE(dispatcher_->MergeSilence(peers, kT0 + kS));
  Settle();
  EXPECT_EQ(dispatcher_->silences().Get(set->id)->updated_at_ms, kT0 + 2 * kS);
  Restart(kT0 + 3 * kS);
  const Silence* stored = dispatcher_->silences().Get(set->id);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->updated_at_ms, kT0 + 2 * kS);
  EXPECT_EQ(stored->State(kT0 + 3 * kS), "expired");
}

// Acknowledgements are kept for the retention after they were given, as expired silences
// are (in memory and in the store), and a peer's copy past it is not taken back.
TEST_F(StoreTest, AcknowledgementsAreDroppedAfterTheRetention) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  v1::AcknowledgeRequest req;
  req.set_fingerprint(a_.FingerprintHex());
  req.set_who("alice");
  auto old = dispatcher_->Acknowledge(req, kT0);
  ASSERT_TRUE(old.ok());
  req.set_who("bob");
  const TimestampMs later = kT0 + Dispatcher::kRetentionMs / 2;
  ASSERT_TRUE(dispatcher_->Acknowledge(req, later).ok());
  Settle();
  const TimestampMs gc = kT0 + Dispatcher::kRetentionMs + 60 * kS;
  dispatcher_->Tick(gc);
  std::vector<v1::Acknowledgement> held = dispatcher_->Acknowledgements(0);
  ASSERT_THAT(held, SizeIs(1));
  EXPECT_EQ(held[0].who(), "bob");
  EXPECT_FALSE(dispatcher_->MergeAcknowledgement(*old, gc));  // a peer's snapshot re-sends it
  Restart(gc + kS);
  held = dispatcher_->Acknowledgements(0);
  ASSERT_THAT(held, SizeIs(1));
  EXPECT_EQ(held[0].who(), "bob");
}

TEST_F(StoreTest, PendingGroupIsNotifiedAfterRestart) {
  EXPECT_THAT(Restart(kT0), IsEmpty());
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  EXPECT_THAT(dispatcher_->Tick(kT0 + 10 * kS), IsEmpty());  // group_wait not over
  // Crash; back 20 s later: the alert is known, its group waits out group_wait.
  EXPECT_THAT(Restart(kT0 + 20 * kS), IsEmpty());
  EXPECT_EQ(dispatcher_->ActiveAlerts(kT0 + 20 * kS), 1u);
  auto sent = dispatcher_->Tick(kT0 + 50 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].status, "firing");
}

TEST_F(StoreTest, DeliveredIsNotResentAndOwedResolvedIsSent) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  auto sent = dispatcher_->Tick(kT0 + 30 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  Deliver(sent[0]);

  // Crash after delivery: nothing is owed, and re-flushing the group sends nothing.
  EXPECT_THAT(Restart(kT0 + 40 * kS), IsEmpty());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 40 * kS), IsEmpty());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 200 * kS), IsEmpty());

  // Resolved, then a crash before the group's next flush (Alertmanager #2370).
  dispatcher_->OnAlerts(Event(a_, false, kT0, kT0 + 210 * kS), kT0 + 210 * kS);
  EXPECT_THAT(Restart(kT0 + 215 * kS), IsEmpty());
  sent = dispatcher_->Tick(kT0 + 215 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].status, "resolved");
  EXPECT_EQ(sent[0].sequence, 2u);  // a new idempotency key
  Deliver(sent[0]);
  EXPECT_THAT(Restart(kT0 + 300 * kS), IsEmpty());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 300 * kS), IsEmpty());
}

TEST_F(StoreTest, UndeliveredNotificationIsOwedWithItsIdempotencyKey) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  auto sent = dispatcher_->Tick(kT0 + 30 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  dispatcher_->OnDeliveryResult({.id = sent[0].id, .attempts = 1, .error = "HTTP 500"});

  // Crash while the webhook fails: the notification comes back, same key and body, once.
  auto owed = Restart(kT0 + 40 * kS);
  ASSERT_THAT(owed, SizeIs(1));
  EXPECT_EQ(owed[0].IdempotencyKey(), sent[0].IdempotencyKey());
  EXPECT_EQ(owed[0].body, sent[0].body);
  // The outbox keeps no secrets; the http_config comes back from the configuration.
  ASSERT_NE(sent[0].integration.http, nullptr);
  EXPECT_EQ(sent[0].integration.http->credentials, "tok");
  ASSERT_NE(owed[0].integration.http, nullptr);
  EXPECT_EQ(owed[0].integration.http->credentials, "tok");
  EXPECT_THAT(dispatcher_->Tick(kT0 + 40 * kS), IsEmpty());  // not a second copy
  Deliver(owed[0]);
  EXPECT_THAT(Restart(kT0 + 50 * kS), IsEmpty());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 120 * kS), IsEmpty());
}

TEST_F(StoreTest, NotificationFailedForGoodIsRetriedAtTheNextFlush) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  auto sent = dispatcher_->Tick(kT0 + 30 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  dispatcher_->OnDeliveryResult(
      {.id = sent[0].id, .final = true, .attempts = 1, .error = "HTTP 400"});
  EXPECT_THAT(Restart(kT0 + 40 * kS), IsEmpty());  // no longer owed ...
  auto again = dispatcher_->Tick(kT0 + 100 * kS);  // ... but not logged as notified either
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_GT(again[0].sequence, sent[0].sequence);
}

// As Alertmanager keeps a flush's resolved alerts until its notify succeeded: a resolved
// notification that fails for good (4xx) goes again at the group's next flush, and once
// delivered, the group is gone.
TEST_F(StoreTest, ResolvedNotificationFailedForGoodIsRetriedAtTheNextFlush) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  auto sent = dispatcher_->Tick(kT0 + 30 * kS);
  ASSERT_THAT(sent, SizeIs(1));
  Deliver(sent[0]);
  dispatcher_->OnAlerts(Event(a_, false, kT0, kT0 + 40 * kS), kT0 + 40 * kS);
  auto resolved = dispatcher_->Tick(kT0 + 90 * kS);  // the group's next flush
  ASSERT_THAT(resolved, SizeIs(1));
  EXPECT_EQ(resolved[0].status, "resolved");
  dispatcher_->OnDeliveryResult(
      {.id = resolved[0].id, .final = true, .attempts = 1, .error = "HTTP 400"});
  auto again = dispatcher_->Tick(kT0 + 150 * kS);
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].status, "resolved");
  EXPECT_GT(again[0].sequence, resolved[0].sequence);
  Deliver(again[0]);
  EXPECT_THAT(dispatcher_->Tick(kT0 + 210 * kS), IsEmpty());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 270 * kS), IsEmpty());
  EXPECT_EQ(dispatcher_->Groups(), 0u);
}

// Prometheus re-sends every active alert with a later end; the row is rewritten only when
// it would otherwise end within half of the new validity.
TEST_F(StoreTest, ReSentAlertIsRewrittenOnlyWhenItsRowNearsItsEnd) {
  Restart(kT0);
  auto stored_ends = [&] {
    TimestampMs ends = 0;
    EXPECT_TRUE(store_
                    ->Read([&](Store& s) -> absl::Status {
                      auto alerts = s.LoadAlerts();
                      if (!alerts.ok()) return alerts.status();
                      EXPECT_THAT(*alerts, SizeIs(1));
                      if (!alerts->empty()) ends = (*alerts)[0].ends_at_ms;
                      return absl::OkStatus();
                    })
                    .ok());
    return ends;
  };
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);  // valid for 240 s
  EXPECT_EQ(stored_ends(), kT0 + 240 * kS);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0 + 60 * kS), kT0 + 60 * kS);
  EXPECT_EQ(stored_ends(), kT0 + 240 * kS);  // 180 s of 240 left: not written
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0 + 150 * kS), kT0 + 150 * kS);
  EXPECT_EQ(stored_ends(), kT0 + 390 * kS);  // 90 s of 240 left: written
  // Crash: the alert comes back firing.
  Restart(kT0 + 200 * kS);
  EXPECT_EQ(dispatcher_->ActiveAlerts(kT0 + 200 * kS), 1u);
  // A resolution is written at once.
  dispatcher_->OnAlerts(Event(a_, false, kT0, kT0 + 210 * kS), kT0 + 210 * kS);
  EXPECT_EQ(stored_ends(), kT0 + 210 * kS);
}

TEST(AlertRowStaleTest, WhatARecoveryNeedsIsWrittenAtOnce) {
  const Alert held{.labels = {{"alertname", "A"}},
                   .annotations = {{"summary", "x"}},
                   .starts_at_ms = 100,
                   .ends_at_ms = 1000};
  Alert later = held;
  later.ends_at_ms = 1100;
  EXPECT_FALSE(AlertRowStale(held, 1000, later, 200));  // 800 of 900 left
  EXPECT_TRUE(AlertRowStale(held, 1000, later, 950));   // 50 of 150 left
  EXPECT_FALSE(AlertRowStale(held, 1100, later, 950));  // the row has it already
  Alert annotated = later;
  annotated.annotations = Annotations{{"summary", "y"}};
  EXPECT_TRUE(AlertRowStale(held, 1000, annotated, 200));
  Alert restarted = later;
  restarted.starts_at_ms = 150;
  EXPECT_TRUE(AlertRowStale(held, 1000, restarted, 200));
  Alert resolved = held;
  resolved.ends_at_ms = 200;
  EXPECT_TRUE(AlertRowStale(held, 1000, resolved, 200));
  Alert forever = held;
  forever.ends_at_ms = 0;
  EXPECT_TRUE(AlertRowStale(held, 1000, forever, 200));
}

TEST_F(StoreTest, AcknowledgementsAreRecordedAndSurviveARestart) {
  Restart(kT0);
  dispatcher_->OnAlerts(Event(a_, true, kT0, kT0), kT0);
  v1::AcknowledgeRequest req;
  req.set_who("alice");
  EXPECT_TRUE(absl::IsInvalidArgument(dispatcher_->Acknowledge(req, kT0).status()));
  req.set_fingerprint("00000000000000ff");
  EXPECT_TRUE(absl::IsNotFound(dispatcher_->Acknowledge(req, kT0).status()));
  req.set_fingerprint(a_.FingerprintHex());
  req.set_comment("looking at it");
  auto ack = dispatcher_->Acknowledge(req, kT0 + kS);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->at_ms(), kT0 + kS);
  EXPECT_EQ(ack->labels_size(), 2);

  v1::AcknowledgeRequest group;
  group.set_who("bob");
  group.set_group_key(R"({}:{alertname="A"})");
  ASSERT_TRUE(dispatcher_->Acknowledge(group, kT0 + 2 * kS).ok());

  Restart(kT0 + 10 * kS);
  auto acks = dispatcher_->Acknowledgements(0);
  ASSERT_THAT(acks, SizeIs(2));
  EXPECT_EQ(acks[0].who(), "bob");  // newest first
  EXPECT_EQ(acks[1].who(), "alice");
  EXPECT_EQ(acks[1].comment(), "looking at it");
  EXPECT_EQ(acks[1].fingerprint(), a_.FingerprintHex());
  EXPECT_GT(acks[0].id(), acks[1].id());
  EXPECT_THAT(dispatcher_->Acknowledgements(1), SizeIs(1));
}

}  // namespace
}  // namespace vigil::notifier
