// The store's writer thread: writes commit in the order queued, those queued while a
// commit runs go into the next transaction together, and whoever waits on a ticket goes on
// only once its write is committed (seen from a second connection to the same file).

#include "services/notifier/store_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "tests/support/process.h"

namespace vigil::notifier {
namespace {

using ::testing::SizeIs;

class StoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = vigil::testing::MakeTempDir("notifier_store_writer_test");
    writer_ = std::make_unique<StoreWriter>(Open());
  }
  void TearDown() override { vigil::testing::RemoveTree(dir_); }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(dir_ + "/notifier.db");
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }
  // What another, plain connection sees committed (Store::Open would drop duplicates).
  size_t CommittedLogRows() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ + "/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the notifier may hold a lock a moment
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM nflog", -1, &st, nullptr);
    size_t n = sqlite3_step(st) == SQLITE_ROW ? static_cast<size_t>(sqlite3_column_int64(st, 0)) : 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  StoreWriter::Ticket PutLog(int i) {
    return writer_->Write([i](Store& s) {
      return s.PutLog("stream" + std::to_string(i), LogEntry{{}, {}, 1000, 1});
    });
  }

  // From a second connection: the insert of the log row `stream_key` fails as on a full
  // disk, where SQLite rolls the whole transaction back (a trigger's RAISE(ROLLBACK)).
  void FillTheDiskAt(const std::string& stream_key) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/notifier.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the notifier may hold a lock a moment
    const std::string sql = "CREATE TRIGGER full BEFORE INSERT ON nflog WHEN NEW.stream_key = '" +
                            stream_key +
                            "' BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  // A write that blocks the writer thread until the returned notification is notified;
  // returns once the writer is in it.
  std::unique_ptr<absl::Notification> HoldTheWriter() {
    auto release = std::make_unique<absl::Notification>();
    auto started = std::make_shared<absl::Notification>();  // outlives its Notify()
    writer_->Write([started, release = release.get()](Store&) {
      started->Notify();
      release->WaitForNotification();
      return absl::OkStatus();
    });
    started->WaitForNotification();
    return release;
  }

  std::string dir_;
  std::unique_ptr<StoreWriter> writer_;
};

TEST_F(StoreWriterTest, WritesQueuedDuringACommitShareTheNextOne) {
  absl::Notification started, release;
  const StoreWriter::Ticket first = writer_->Write([&](Store&) {
    started.Notify();
    release.WaitForNotification();
    return absl::OkStatus();
  });
  EXPECT_EQ(first, 1u);
  started.WaitForNotification();  // the writer is inside the first transaction
  StoreWriter::Ticket last = 0;
  for (int i = 0; i < 100; ++i) last = PutLog(i);
  EXPECT_EQ(last, 101u);
  EXPECT_EQ(writer_->last(), last);

  absl::Notification callback;
  size_t seen_by_callback = 0;
  writer_->WhenDurable(last, [&] {
    seen_by_callback = CommittedLogRows();
    callback.Notify();
  });
  EXPECT_FALSE(callback.HasBeenNotified());
  release.Notify();
  ASSERT_TRUE(writer_->WaitDurable(last, absl::InfiniteDuration()));
  callback.WaitForNotification();
  EXPECT_EQ(seen_by_callback, 100u);  // durable before the callback ran
  EXPECT_EQ(writer_->commits(), 2u);  // the blocking one, then all 100 together
  EXPECT_EQ(writer_->errors(), 0u);
}

TEST_F(StoreWriterTest, WhenDurableRunsAtOnceForACommittedTicket) {
  const StoreWriter::Ticket t = PutLog(1);
  ASSERT_TRUE(writer_->WaitDurable(t, absl::InfiniteDuration()));
  std::thread::id ran_on;
  writer_->WhenDurable(t, [&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  // Nothing queued at all: ticket 0 is done.
  bool ran = false;
  StoreWriter fresh(Open());
  fresh.WhenDurable(fresh.last(), [&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST_F(StoreWriterTest, AFailedWriteIsCountedAndTheOthersCommit) {
  PutLog(1);
  writer_->Write([](Store&) { return absl::InternalError("disk on fire"); });
  const StoreWriter::Ticket t = PutLog(2);
  ASSERT_TRUE(writer_->WaitDurable(t, absl::InfiniteDuration()));
  EXPECT_EQ(writer_->errors(), 1u);
  EXPECT_EQ(writer_->last_error(), "disk on fire");
  EXPECT_EQ(CommittedLogRows(), 2u);
}

// An API answers from WaitStored: an error for its own failed write, even when it shared
// the transaction with others that committed; OK when only someone else's write failed.
TEST_F(StoreWriterTest, WaitStoredSaysWhetherTheWaitedForWritesWereStored) {
  // Holds the writer so that the next writes share a transaction.
  std::unique_ptr<absl::Notification> release = HoldTheWriter();
  StoreWriter::Claim mine = writer_->Begin();
  PutLog(1);
  absl::Status told;
  writer_->Write([](Store&) { return absl::InternalError("disk on fire"); },
                 [&told](const absl::Status& s) { told = s; });
  writer_->End(&mine);
  StoreWriter::Claim theirs = writer_->Begin();
  PutLog(2);
  writer_->End(&theirs);
  StoreWriter::Claim none = writer_->Begin();  // a request that queued nothing
  writer_->End(&none);
  // Not committed yet: a short wait times out, also for the request that queued nothing
  // after them (it answers once what was queued before it is durable).
  EXPECT_TRUE(absl::IsDeadlineExceeded(writer_->WaitStored(mine, absl::Milliseconds(1))));
  EXPECT_TRUE(absl::IsDeadlineExceeded(writer_->WaitStored(none, absl::Milliseconds(1))));
  release->Notify();

  absl::Status stored = writer_->WaitStored(mine, absl::Seconds(30));
  EXPECT_TRUE(absl::IsInternal(stored)) << stored;
  EXPECT_EQ(stored.message(), "disk on fire");
  EXPECT_EQ(told, stored);  // the failed write's own callback ran before its waiter went on
  EXPECT_TRUE(writer_->WaitStored(theirs, absl::Seconds(30)).ok());
  EXPECT_TRUE(writer_->WaitStored(none, absl::Seconds(30)).ok());
  EXPECT_EQ(CommittedLogRows(), 2u);
}

// However many other writes fail between a request's failed write and its wait (a disk
// failing for good under load), the request is told its own write failed: the failure is
// kept while its claim lives.
TEST_F(StoreWriterTest, AClaimKeepsItsFailureThroughAnyNumberOfOtherFailures) {
  auto fail = [](Store&) { return absl::InternalError("disk on fire"); };
  StoreWriter::Claim mine = writer_->Begin();
  writer_->Write(fail);
  writer_->End(&mine);
  StoreWriter::Ticket last = 0;
  for (int i = 0; i < 5000; ++i) last = writer_->Write(fail);  // nobody waits for these
  ASSERT_TRUE(writer_->WaitDurable(last, absl::InfiniteDuration()));
  EXPECT_EQ(writer_->errors(), 5001u);
  absl::Status stored = writer_->WaitStored(mine, absl::Seconds(30));
  EXPECT_TRUE(absl::IsInternal(stored)) << stored;
  // A claim moved keeps it too; a claim begun after the failures is not concerned by them.
  StoreWriter::Claim moved = std::move(mine);
  EXPECT_FALSE(writer_->WaitStored(moved, absl::Seconds(30)).ok());
  StoreWriter::Claim later = writer_->Begin();
  const StoreWriter::Ticket ok = PutLog(1);
  writer_->End(&later);
  ASSERT_TRUE(writer_->WaitDurable(ok, absl::InfiniteDuration()));
  EXPECT_TRUE(writer_->WaitStored(later, absl::Seconds(30)).ok());
}

// SQLite rolls a whole transaction back itself on some errors (SQLITE_FULL, SQLITE_IOERR;
// here a trigger's RAISE(ROLLBACK)): the writes before the failed one are gone too and
// those after must not commit one by one outside it. Every write of the batch is told
// it was not stored, and none is.
TEST_F(StoreWriterTest, AWriteWhoseErrorEndedTheTransactionFailsItsWholeBatch) {
  FillTheDiskAt("stream2");
  // Holds the writer so that the next writes share a transaction.
  std::unique_ptr<absl::Notification> release = HoldTheWriter();
  std::vector<StoreWriter::Claim> claims;
  std::vector<absl::Status> told(3);
  for (int i = 1; i <= 3; ++i) {
    claims.push_back(writer_->Begin());
    writer_->Write(
        [i](Store& s) {
          return s.PutLog("stream" + std::to_string(i), LogEntry{{}, {}, 1000, 1});
        },
        [&told, i](const absl::Status& s) { told[i - 1] = s; });
    writer_->End(&claims.back());
  }
  release->Notify();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(writer_->WaitStored(claims[i], absl::Seconds(30)).ok()) << i;
    EXPECT_FALSE(told[i].ok()) << i;
  }
  EXPECT_EQ(CommittedLogRows(), 0u);
}

// A request that queued nothing is told only about the writes queued before it: a failure
// of the whole transaction its place falls in (writes queued before and after it) is not
// its own.
TEST_F(StoreWriterTest, AClaimOfNoWritesInsideAFailedBatchIsStored) {
  FillTheDiskAt("stream2");
  std::unique_ptr<absl::Notification> release = HoldTheWriter();
  PutLog(1);
  StoreWriter::Claim none = writer_->Begin();
  writer_->End(&none);
  StoreWriter::Claim failed = writer_->Begin();
  PutLog(2);  // fails, and with it the transaction PutLog(1) is in
  writer_->End(&failed);
  release->Notify();
  EXPECT_FALSE(writer_->WaitStored(failed, absl::Seconds(30)).ok());
  EXPECT_TRUE(writer_->WaitStored(none, absl::Seconds(30)).ok());
}

// Reach on a write that has already failed. While its completion is still being told
// (on_done ran or runs, the ticket is not done yet) the claim reaching it answers for it:
// the failure is kept for that claim alone (no other claim covered the write) and
// WaitStored reports it. Once the ticket is done, Reach is refused: the one who queued
// the write heard the failure from on_done and writes again under the new claim.
TEST_F(StoreWriterTest, AClaimReachingAnAlreadyFailedWriteReportsTheFailure) {
  absl::Notification told, release;
  const StoreWriter::Ticket failed =
      writer_->Write([](Store&) { return absl::InternalError("disk on fire"); },
                     [&](const absl::Status& s) {
                       EXPECT_FALSE(s.ok());
                       told.Notify();
                       release.WaitForNotification();
                     });
  told.WaitForNotification();  // failed, and its completion not finished
  StoreWriter::Claim reaching = writer_->Begin();
  EXPECT_TRUE(writer_->Reach(failed));
  writer_->End(&reaching);
  EXPECT_EQ(reaching.tickets().after, reaching.tickets().upto);  // no write of its own
  release.Notify();
  absl::Status stored = writer_->WaitStored(reaching, absl::Seconds(30));
  EXPECT_TRUE(absl::IsInternal(stored)) << stored;
  EXPECT_EQ(stored.message(), "disk on fire");

  // Done now: nothing to reach, and a claim that reached nothing is not told of it.
  StoreWriter::Claim late = writer_->Begin();
  EXPECT_FALSE(writer_->Reach(failed));
  writer_->End(&late);
  EXPECT_TRUE(writer_->WaitStored(late, absl::Seconds(30)).ok());
  // The first claim still holds the failure while it lives.
  EXPECT_FALSE(writer_->WaitStored(reaching, absl::Seconds(30)).ok());
}

TEST_F(StoreWriterTest, ReadSeesEarlierWritesAndTheDestructorCommitsTheRest) {
  PutLog(1);
  absl::Status read = writer_->Read([](Store& s) -> absl::Status {
    auto log = s.LoadLog();
    if (!log.ok()) return log.status();
    return log->size() == 1 ? absl::OkStatus() : absl::DataLossError("write not seen");
  });
  EXPECT_TRUE(read.ok()) << read;
  EXPECT_TRUE(absl::IsNotFound(writer_->Read([](Store&) { return absl::NotFoundError("x"); })));
  for (int i = 2; i <= 10; ++i) PutLog(i);
  writer_.reset();
  EXPECT_EQ(CommittedLogRows(), 10u);
}

// The WAL is checkpointed by the checkpointer thread, not inside the writer's commits.
TEST_F(StoreWriterTest, AFullWalIsCheckpointedByTheCheckpointerThread) {
  const std::string body(64 * 1024, 'x');
  StoreWriter::Ticket last = 0;
  // A quarter more than kCheckpointPages of 4 KB.
  const int count = StoreWriter::kCheckpointPages * 4096 / static_cast<int>(body.size()) * 5 / 4;
  for (int i = 0; i < count; ++i) {
    Notification n{.receiver = "r", .group_key = "g" + std::to_string(i), .body = body};
    last = writer_->Write([n](Store& s) { return s.PutOutbox(n, LogEntry{}); });
    // One commit each, so that some commit finds the WAL full.
    ASSERT_TRUE(writer_->WaitDurable(last, absl::InfiniteDuration()));
  }
  EXPECT_TRUE(writer_->AwaitCheckpoints(1, absl::Seconds(30)));
  EXPECT_EQ(writer_->errors(), 0u);
  auto outbox = Open()->LoadOutbox();
  ASSERT_TRUE(outbox.ok());
  EXPECT_THAT(*outbox, SizeIs(count));
}

}  // namespace
}  // namespace vigil::notifier
