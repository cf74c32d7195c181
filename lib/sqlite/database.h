#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::sqlite {

// journal_mode=WAL, synchronous=NORMAL: a committed transaction survives the process being
// killed (not the machine losing power), and readers do not block the writer.
inline constexpr const char kWalPragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

// One SQLite connection to the file at path() and its cache of prepared statements.
//
// Errors are absl::InternalError "path: what: sqlite's message" (Error()); a failed Exec
// reads "path: sqlite's message".
//
// Threading: not thread-safe; confined to one thread, as the connection's statements are.
class Database {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for tests), waits up to
  // 5 s for a lock held by another connection, and runs `pragmas` (e.g. kWalPragmas).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const char* pragmas);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `sql`, any number of statements, parsed each time (schema, BEGIN, COMMIT).
  absl::Status Exec(const char* sql);

  // The prepared statement for `sql`, reset and unbound. Cached by the pointer: `sql` is a
  // string literal (or lives as long as this Database), the same one on every call.
  absl::StatusOr<sqlite3_stmt*> Stmt(const char* sql);
  // Runs a statement that returns no rows, then resets it; Error(what) unless it is done.
  absl::Status Run(sqlite3_stmt* st, std::string_view what);
  // Stmt(sql), then Run: for statements without parameters run often (SAVEPOINT, RELEASE).
  absl::Status RunCached(const char* sql);
  // Steps through the rows of `st`, calling `row` on each (read the columns of `st` there),
  // then resets it; Error(what) if a step failed.
  absl::Status ForEachRow(sqlite3_stmt* st, std::string_view what, absl::FunctionRef<void()> row);

  // InternalError "path: what: sqlite's last message on this connection".
  absl::Status Error(std::string_view what) const;

  // Whether a transaction is open on the connection (sqlite3_get_autocommit).
  bool InTransaction() const;
  // The rowid of the last row inserted, and how many rows the last statement changed.
  int64_t LastInsertRowid() const;
  int Changes() const;

  // Replaces SQLite's automatic checkpoint (which runs inside a commit, with fsyncs) by
  // `hook`, called on this connection's thread after each commit with the number of pages
  // in the WAL.
  void SetWalHook(std::function<void(int wal_pages)> hook);
  // Copies what it can from the WAL into the database without waiting for readers or
  // writers (SQLite's PASSIVE checkpoint), telling how far it got: the frames in the WAL
  // and how many of them are now in the database. `busy`: another connection was
  // checkpointing, so this one did nothing (not an error).
  struct CheckpointProgress {
    int wal_frames = 0;
    int copied_frames = 0;
    bool busy = false;
  };
  absl::StatusOr<CheckpointProgress> CheckpointPassive();

  const std::string& path() const { return path_; }

 private:
  explicit Database(std::string path) : path_(std::move(path)) {}

  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<const char*, sqlite3_stmt*> statements_;
  std::function<void(int)> wal_hook_;
};

// A write transaction: BEGIN on construction; rolled back on destruction unless Commit()
// succeeded.
class Transaction {
 public:
  explicit Transaction(Database* db);  // null: a no-op, open() false and status() OK
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The BEGIN's outcome, then the last Commit()'s.
  const absl::Status& status() const { return status_; }
  // Begun and neither committed nor rolled back yet.
  bool open() const { return open_; }
  // COMMIT; when not open, status() (a failed BEGIN's error, or OK once committed). A
  // failed COMMIT leaves the transaction open: it may be retried, or is rolled back.
  absl::Status Commit();
  // ROLLBACK now, if open.
  void Rollback();

 private:
  Database* db_;
  absl::Status status_;
  bool open_ = false;
};

// One write's part of a transaction (SAVEPOINT write), so that a write that fails midway
// leaves nothing of itself: Keep() releases it into the transaction, the destructor
// otherwise rolls back to it. Outside a transaction it is one itself, committed by Keep().
// If SQLite rolled the whole transaction back itself (it may on SQLITE_FULL, SQLITE_IOERR,
// SQLITE_NOMEM...), Database::InTransaction() says so and there is nothing to roll back.
// Nested savepoints are fine: SQLite matches the innermost of a name.
class Savepoint {
 public:
  explicit Savepoint(Database* db);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  const absl::Status& begun() const { return begun_; }
  absl::Status Keep();

 private:
  Database* db_;
  absl::Status begun_;
  bool open_ = false;
};

// Binds `s` (copied) to parameter `i` (from 1) of `st`.
void BindText(sqlite3_stmt* st, int i, std::string_view s);
// Column `i` (from 0) of the current row as text, NUL bytes included; "" for NULL.
std::string ColumnText(sqlite3_stmt* st, int i);

}  // namespace vigil::sqlite
