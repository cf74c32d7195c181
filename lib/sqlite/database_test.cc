#include "lib/sqlite/database.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "lib/base/format.h"
#include "lib/sqlite/frame_vfs.h"

namespace vigil::sqlite {
namespace {

// A fresh directory per test, removed afterwards, and a database in it with one table.
class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("database_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
    auto db = Database::Open(path_, kWalPragmas);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER NOT NULL)").ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  absl::Status Insert(std::string_view k, int64_t v) {
    auto st = db_->Stmt("INSERT INTO t(k, v) VALUES(?, ?)");
    if (!st.ok()) return st.status();
    BindText(*st, 1, k);
    sqlite3_bind_int64(*st, 2, v);
    return db_->Run(*st, "inserting");
  }

  int64_t Count() {
    auto st = db_->Stmt("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(st.ok()) << st.status();
    int64_t n = -1;
    EXPECT_TRUE(db_->ForEachRow(*st, "counting", [&] { n = sqlite3_column_int64(*st, 0); }).ok());
    return n;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, TheCacheHandsBackTheSameStatementResetAndUnbound) {
  static constexpr char kSql[] = "SELECT ?";
  auto first = db_->Stmt(kSql);
  ASSERT_TRUE(first.ok()) << first.status();
  sqlite3_bind_int64(*first, 1, 42);
  ASSERT_EQ(sqlite3_step(*first), SQLITE_ROW);  // left mid-way: the next Stmt resets it

  auto second = db_->Stmt(kSql);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, *first);
  int rows = 0;
  int type = -1;
  absl::Status read = db_->ForEachRow(*second, "selecting", [&] {
    ++rows;
    type = sqlite3_column_type(*second, 0);
  });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(type, SQLITE_NULL);  // the 42 bound before was cleared
}

TEST_F(DatabaseTest, FailuresNameThePathWhatAndSqlitesMessage) {
  ASSERT_TRUE(Insert("a", 1).ok());
  absl::Status dup = Insert("a", 2);
  EXPECT_EQ(dup.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(dup.message(), path_ + ": inserting: UNIQUE constraint failed: t.k");

  auto bad = db_->Stmt("SELECT nope FROM t");
  EXPECT_EQ(bad.status().message(),
            path_ + ": preparing \"SELECT nope FROM t\": no such column: nope");
  EXPECT_EQ(db_->Exec("DROP TABLE missing").message(), path_ + ": no such table: missing");

  const std::string nowhere = (dir_ / "missing" / "x.db").string();
  auto opened = Database::Open(nowhere, kWalPragmas);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(),
            nowhere + ": cannot open database: unable to open database file");
}

TEST_F(DatabaseTest, ATransactionNotCommittedIsRolledBackOnDestruction) {
  {
    Transaction tx(db_.get());
    ASSERT_TRUE(tx.status().ok()) << tx.status();
    EXPECT_TRUE(tx.open());
    EXPECT_TRUE(db_->InTransaction());
    ASSERT_TRUE(Insert("a", 1).ok());
  }
  EXPECT_FALSE(db_->InTransaction());
  EXPECT_EQ(Count(), 0);

  {
    Transaction tx(db_.get());
    ASSERT_TRUE(Insert("a", 1).ok());
    ASSERT_TRUE(tx.Commit().ok());
    EXPECT_FALSE(tx.open());
    EXPECT_TRUE(tx.Commit().ok());  // nothing left to commit
  }
  EXPECT_EQ(Count(), 1);

  Transaction none(nullptr);
  EXPECT_FALSE(none.open());
  EXPECT_TRUE(none.Commit().ok());
}

TEST_F(DatabaseTest, ASavepointNotKeptLeavesNoRowAndTheRestCommits) {
  {
    Transaction tx(db_.get());
    {
      Savepoint kept(db_.get());
      ASSERT_TRUE(kept.begun().ok()) << kept.begun();
      ASSERT_TRUE(Insert("kept", 1).ok());
      ASSERT_TRUE(kept.Keep().ok());
    }
    {
      Savepoint failed(db_.get());
      ASSERT_TRUE(failed.begun().ok());
      ASSERT_TRUE(Insert("dropped", 2).ok());
      ASSERT_FALSE(Insert("kept", 3).ok());  // the write fails midway: not kept
    }
    EXPECT_TRUE(db_->InTransaction());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto st = db_->Stmt("SELECT k FROM t ORDER BY k");
  ASSERT_TRUE(st.ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(db_->ForEachRow(*st, "listing", [&] { keys.push_back(ColumnText(*st, 0)); }).ok());
  EXPECT_EQ(keys, std::vector<std::string>{"kept"});
}

TEST_F(DatabaseTest, TextKeepsItsNulBytes) {
  ASSERT_TRUE(Insert(std::string_view("a\0b", 3), 1).ok());
  auto st = db_->Stmt("SELECT k FROM t");
  ASSERT_TRUE(st.ok());
  std::string k;
  ASSERT_TRUE(db_->ForEachRow(*st, "reading", [&] { k = ColumnText(*st, 0); }).ok());
  EXPECT_EQ(k, std::string("a\0b", 3));
}

TEST_F(DatabaseTest, TheWalHookHearsOfEachCommitAndACheckpointEmptiesTheWal) {
  int last_pages = 0;
  db_->SetWalHook([&](int pages) { last_pages = pages; });
  ASSERT_TRUE(Insert("a", 1).ok());
  EXPECT_GT(last_pages, 0);
  EXPECT_TRUE(db_->CheckpointPassive().ok());
}

// What a plain SQLite (its default VFS) reads in the file at `path`: the rows of t and
// the integrity check's verdict.
std::pair<int64_t, std::string> ReadWithPlainSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
  std::pair<int64_t, std::string> out{-1, ""};
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out.first = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out.second = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST_F(DatabaseTest, AWalFrameIsOneWriteAndTheFileIsSqlitesOwn) {
  const uint64_t joined_before = FrameVfsJoinedWrites();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Insert("k" + std::to_string(i), i).ok());
  // Each commit writes at least one frame: its header went out with its page.
  EXPECT_GE(FrameVfsJoinedWrites() - joined_before, 100u);
  // Read while the rows are still in the WAL, then after a checkpoint moved them.
  EXPECT_EQ(ReadWithPlainSqlite(path_), std::make_pair(int64_t{100}, std::string("ok")));
  ASSERT_TRUE(db_->CheckpointPassive().ok());
  EXPECT_EQ(ReadWithPlainSqlite(path_), std::make_pair(int64_t{100}, std::string("ok")));
  // After the checkpoint the next commit starts the WAL over from its beginning: frames
  // written over old ones are joined as well.
  const uint64_t joined_after_checkpoint = FrameVfsJoinedWrites();
  for (int i = 100; i < 200; ++i) ASSERT_TRUE(Insert("k" + std::to_string(i), i).ok());
  EXPECT_GE(FrameVfsJoinedWrites() - joined_after_checkpoint, 100u);
  EXPECT_EQ(ReadWithPlainSqlite(path_), std::make_pair(int64_t{200}, std::string("ok")));
}

// Runs `statements` on a connection to the database at `path` in a child process, which
// is then killed (no close, no checkpoint); fails if a statement failed or the child was
// not killed.
void RunThenKill(const std::string& path, const std::vector<std::string>& statements) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto db = Database::Open(path, kWalPragmas);
    if (!db.ok()) _exit(1);
    for (const std::string& sql : statements) {
      if (!(*db)->Exec(sql.c_str()).ok()) _exit(2);
    }
    kill(getpid(), SIGKILL);
    _exit(3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// A process killed after its commits: each one is in the WAL whole (no write the VFS held
// back is lost), and SQLite recovers all of them on opening.
TEST_F(DatabaseTest, EveryCommitSurvivesTheProcessBeingKilled) {
  const std::string killed = (dir_ / "killed.db").string();
  std::vector<std::string> statements = {"CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER)"};
  for (int i = 0; i < 300; ++i) {
    statements.push_back(
        StrCat("INSERT INTO t VALUES('k", i, "', ", i, ")"));  // each its own commit
  }
  RunThenKill(killed, statements);
  EXPECT_EQ(ReadWithPlainSqlite(killed), std::make_pair(int64_t{300}, std::string("ok")));
}

// A transaction larger than the page cache spills pages into the WAL before it commits;
// changing such a page again rewrites its frame in place, and the commit then rewrites the
// checksums of the frames after it, the commit frame's header last. That header is not
// followed by its page: a VFS that held it back would lose the transaction to a kill.
TEST_F(DatabaseTest, ATransactionThatSpilledItsCacheSurvivesTheProcessBeingKilled) {
  const std::string killed = (dir_ / "spilled.db").string();
  std::vector<std::string> statements = {"PRAGMA cache_size=10", "CREATE TABLE t(k TEXT, v BLOB)",
                                         "BEGIN"};
  for (int i = 0; i < 400; ++i) {
    statements.push_back(StrCat("INSERT INTO t VALUES('k", i, "', zeroblob(900))"));
  }
  // The first rows' pages went to the WAL when the cache spilled: change them again.
  statements.push_back("UPDATE t SET v = zeroblob(800) WHERE rowid <= 20");
  statements.push_back("COMMIT");
  RunThenKill(killed, statements);
  EXPECT_EQ(ReadWithPlainSqlite(killed), std::make_pair(int64_t{400}, std::string("ok")));
}

}  // namespace
}  // namespace vigil::sqlite
