// A change made through the API (MakeChange with the Dispatcher and a real StoreWriter):
// answered "maybe done" (503) when the loop or the store was too slow, it is still made,
// and sent to the peers, once its write commits, without a restart; one the store
// refused is nowhere.

#include "services/notifier/api_change.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "services/notifier/dispatcher.h"
#include "tests/support/process.h"

namespace vigil::notifier {
namespace {

constexpr TimestampMs kT0 = 1'700'000'000'000;

// The dispatcher's loop thread: runs what is posted to `tasks`, which must outlive it.
class Loop {
 public:
  explicit Loop(service::TaskQueue& tasks) : tasks_(tasks) {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{tasks_.fd(), POLLIN, 0};
        ::poll(&p, 1, -1);
        tasks_.RunAll();
      }
    });
  }
  ~Loop() { Stop(); }
  // Runs what was posted so far, then leaves.
  void Stop() {
    if (!thread_.joinable()) return;
    tasks_.Post([this] { stop_ = true; });
    thread_.join();
  }
  // Runs `fn` on the loop after everything posted before; returns its result. Also once
  // the queue is stopping (TaskQueue::Call then fails), as long as the loop runs.
  template <typename Fn>
  auto Run(Fn fn) {
    std::optional<decltype(fn())> result;
    absl::Notification done;
    tasks_.Post([&] {
      result.emplace(fn());
      done.Notify();
    });
    done.WaitForNotification();
    return std::move(*result);
  }

 private:
  service::TaskQueue& tasks_;
  bool stop_ = false;  // the loop thread's
  std::thread thread_;
};

class ApiChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = vigil::testing::MakeTempDir("notifier_api_change_test");
    auto store = Store::Open(dir_ + "/notifier.db");
    ASSERT_TRUE(store.ok()) << store.status();
    writer_ = std::make_unique<StoreWriter>(std::move(*store));
    auto cfg = ParseConfig("am.yml", "route: {receiver: hook}\nreceivers: [{name: hook}]\n");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    dispatcher_ = std::make_unique<Dispatcher>(std::make_shared<const Config>(std::move(*cfg)), "",
                                               writer_.get());
    dispatcher_->set_loop([this](std::function<void()> task) { tasks_.Post(std::move(task)); });
    // What an HA replica would send its peers (ClusterNode hooks here); loop thread only.
    dispatcher_->set_on_local_silence([this](const Silence& s) { sent_.push_back(s.id); });
    dispatcher_->set_on_local_ack(
        [this](const v1::Acknowledgement& a) { sent_.push_back("ack " + a.who()); });
    silence_.matchers.push_back(
        *labels::Matcher::Create(labels::MatchType::kEqual, "alertname", "A"));
    silence_.starts_at_ms = kT0;
    silence_.ends_at_ms = kT0 + 3'600'000;
  }
  void TearDown() override {
    // The loop first (it runs the dispatcher), then the writer (its last commits post to
    // the task queue, which is still there), then the dispatcher the writer reports to.
    loop_.Stop();
    writer_.reset();
    dispatcher_.reset();
    vigil::testing::RemoveTree(dir_);
  }
  // The store's next commit waits until the returned notification is notified.
  std::unique_ptr<absl::Notification> HoldTheNextCommit() {
    auto go = std::make_unique<absl::Notification>();
    writer_->Write([go = go.get()](Store&) {
      go->WaitForNotification();
      return absl::OkStatus();
    });
    return go;
  }
  // Waits for every write queued so far (their changes are then posted to the loop).
  void AwaitWrites() { writer_->WaitDurable(writer_->last(), absl::InfiniteDuration()); }
  size_t LiveSilences() {
    return loop_.Run([this] { return dispatcher_->silences().Mutes(a_, kT0 + 1).size(); });
  }
  std::vector<std::string> Sent() {
    return loop_.Run([this] { return sent_; });
  }
  // A trigger that fails the store's inserts into `table`, as a broken disk would.
  void FailInserts(const std::string& table) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the notifier may hold a lock a moment
    const std::string sql = "CREATE TRIGGER fail_" + table + " BEFORE INSERT ON " + table +
                            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  // Destroyed in reverse: the loop thread, the writer, the dispatcher, then what they use.
  std::string dir_;
  service::TaskQueue tasks_;
  std::vector<std::string> sent_;  // the loop thread's
  Silence silence_;
  const labels::Labels a_{{"alertname", "A"}};
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<StoreWriter> writer_;
  Loop loop_{tasks_};
};

TEST_F(ApiChangeTest, AChangeStoredAfterItsAnswerIsMadeAndSentOnceItCommits) {
  auto go = HoldTheNextCommit();
  auto set =
      MakeChange(tasks_, writer_.get(), [this] { return dispatcher_->SetSilence(silence_, kT0); },
                 {.store = absl::ZeroDuration()});
  EXPECT_TRUE(absl::IsUnavailable(set.status())) << set.status();  // HTTP 503: maybe done
  EXPECT_EQ(LiveSilences(), 0u);
  go->Notify();
  AwaitWrites();
  EXPECT_EQ(LiveSilences(), 1u);
  EXPECT_EQ(Sent().size(), 1u);

  // An acknowledgement alike.
  loop_.Run([this] {
    Alert a;
    a.labels = a_;
    a.fingerprint = a_.Fingerprint();
    a.starts_at_ms = kT0;
    return dispatcher_->OnPostedAlerts({a}, kT0).accepted;
  });
  v1::AcknowledgeRequest req;
  req.set_fingerprint(a_.FingerprintHex());
  req.set_who("alice");
  go = HoldTheNextCommit();
  auto ack =
      MakeChange(tasks_, writer_.get(), [this, req] { return dispatcher_->Acknowledge(req, kT0); },
                 {.store = absl::ZeroDuration()});
  EXPECT_TRUE(absl::IsUnavailable(ack.status())) << ack.status();
  go->Notify();
  AwaitWrites();
  EXPECT_EQ(loop_.Run([this] { return dispatcher_->Acknowledgements(0).size(); }), 1u);
  EXPECT_EQ(Sent().back(), "ack alice");
}

// Stored, but the loop did not confirm it live (it is stopping here; or too busy): not
// answered 200, since the client could not yet read it; it is made all the same.
TEST_F(ApiChangeTest, AChangeStoredButNotConfirmedLiveIsAnsweredUnavailable) {
  auto set = MakeChange(tasks_, writer_.get(), [this] {
    tasks_.Post([this] { tasks_.Stop(); });  // right after this work
    return dispatcher_->SetSilence(silence_, kT0);
  });
  EXPECT_TRUE(absl::IsUnavailable(set.status())) << set.status();
  EXPECT_TRUE(absl::StrContains(set.status().message(), "stored, not live yet")) << set.status();
  AwaitWrites();
  EXPECT_EQ(LiveSilences(), 1u);
}

// A client answered OK for a new silence may expire it at once (POST /api/v2/silences
// then DELETE /api/v2/silence/{id}; gRPC SetSilence then ExpireSilence): the answer comes
// only once the change is live on the loop. Here the loop is busy when the write commits,
// so the change the writer posts there waits behind that work; the answer waits with it.
TEST_F(ApiChangeTest, ASilenceAnsweredOkIsLiveForTheNextRequest) {
  absl::Notification prepared, loop_free;
  StoreWriter::Ticket write = 0;
  std::thread busy_until_stored([&] {
    prepared.WaitForNotification();
    writer_->WaitDurable(write, absl::InfiniteDuration());  // its change posted to the loop
    loop_free.Notify();
  });
  auto set = MakeChange(tasks_, writer_.get(), [&] {
    tasks_.Post([&] { loop_free.WaitForNotification(); });  // the loop's next work
    auto s = dispatcher_->SetSilence(silence_, kT0);        // queues the write
    write = writer_->last();
    prepared.Notify();
    return s;
  });
  busy_until_stored.join();
  ASSERT_TRUE(set.ok()) << set.status();
  // Made before the answer: the answer's round trip on the loop came after it, and nothing
  // else runs there now.
  EXPECT_EQ(sent_, std::vector<std::string>{set->id});
  auto expired = MakeChange(tasks_, writer_.get(),
                            [&] { return dispatcher_->ExpireSilence(set->id, kT0 + 1); });
  ASSERT_TRUE(expired.ok()) << expired.status();  // not NotFound (HTTP 404)
  EXPECT_EQ(LiveSilences(), 0u);
  EXPECT_EQ(loop_.Run([&] { return dispatcher_->silences().Get(set->id)->State(kT0 + 1); }),
            "expired");
}

TEST_F(ApiChangeTest, AChangeTheLoopTookLateIsMadeOnceStored) {
  absl::Notification loop_free;
  tasks_.Post([&] { loop_free.WaitForNotification(); });
  auto set =
      MakeChange(tasks_, writer_.get(), [this] { return dispatcher_->SetSilence(silence_, kT0); },
                 {.loop = std::chrono::milliseconds(0)});
  EXPECT_TRUE(absl::IsUnavailable(set.status())) << set.status();
  loop_free.Notify();
  loop_.Run([] { return true; });  // the change was prepared, its write queued
  AwaitWrites();
  EXPECT_EQ(LiveSilences(), 1u);
  EXPECT_EQ(Sent().size(), 1u);
}

TEST_F(ApiChangeTest, AChangeTheStoreRefusedIsNowhere) {
  FailInserts("silences");
  auto set =
      MakeChange(tasks_, writer_.get(), [this] { return dispatcher_->SetSilence(silence_, kT0); });
  EXPECT_TRUE(absl::IsInternal(set.status())) << set.status();  // HTTP 500: not done
  AwaitWrites();
  EXPECT_EQ(LiveSilences(), 0u);
  EXPECT_TRUE(Sent().empty());
}

}  // namespace
}  // namespace vigil::notifier
