#include "lib/sqlite/database.h"

#include <sqlite3.h>

#include <utility>

#include "lib/base/format.h"
#include "lib/sqlite/frame_vfs.h"

namespace vigil::sqlite {

namespace {

// Before SQLite's first use: no memory statistics, whose upkeep takes a process-wide mutex
// in every allocation SQLite makes (nothing here reads them). A no-op (SQLITE_MISUSE) if
// something else in the process initialized SQLite already.
void ConfigureProcessOnce() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const char* pragmas) {
  ConfigureProcessOnce();
  std::unique_ptr<Database> db(new Database(path));
  // NOMUTEX: a Database is confined to one thread at a time (database.h), so the
  // connection needs none of the mutexes SQLite's default (serialized) mode takes around
  // every call; they were a tenth of the notifier's store writer. The frame VFS writes a
  // WAL frame with one system call instead of two (frame_vfs.h).
  if (sqlite3_open_v2(path.c_str(), &db->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      FrameVfsName()) != SQLITE_OK) {
    return db->Error("cannot open database");
  }
  sqlite3_busy_timeout(db->db_, 5000);
  if (auto s = db->Exec(pragmas); !s.ok()) return s;
  return db;
}

Database::~Database() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  sqlite3_close(db_);  // a no-op on null
}

absl::Status Database::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(StrCat(path_, ": ", err ? err : "sqlite error"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite3_stmt*> Database::Stmt(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) {
      return Error(StrCat("preparing \"", sql, "\""));
    }
    it = statements_.emplace(sql, st).first;
  }
  sqlite3_reset(it->second);
  sqlite3_clear_bindings(it->second);
  return it->second;
}

absl::Status Database::Run(sqlite3_stmt* st, std::string_view what) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(what);
}

absl::Status Database::RunCached(const char* sql) {
  auto st = Stmt(sql);
  if (!st.ok()) return st.status();
  return Run(*st, sql);
}

absl::Status Database::ForEachRow(sqlite3_stmt* st, std::string_view what,
                                  absl::FunctionRef<void()> row) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) row();
  // The message before the reset, which may replace it.
  absl::Status s = rc == SQLITE_DONE ? absl::OkStatus() : Error(what);
  sqlite3_reset(st);
  return s;
}

absl::Status Database::Error(std::string_view what) const {
  return absl::InternalError(StrCat(path_, ": ", what, ": ", sqlite3_errmsg(db_)));
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t Database::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

void Database::SetWalHook(std::function<void(int wal_pages)> hook) {
  wal_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<Database*>(self)->wal_hook_(pages);
        return SQLITE_OK;
      },
      this);
}

absl::StatusOr<Database::CheckpointProgress> Database::CheckpointPassive() {
  CheckpointProgress p;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &p.wal_frames,
                                           &p.copied_frames);
  if (rc == SQLITE_BUSY) {
    p.busy = true;
    return p;
  }
  if (rc != SQLITE_OK) return Error("checkpointing the WAL");
  return p;
}

Transaction::Transaction(Database* db) : db_(db) {
  if (db_ == nullptr) return;
  status_ = db_->Exec("BEGIN");
  open_ = status_.ok();
}

Transaction::~Transaction() { Rollback(); }

absl::Status Transaction::Commit() {
  if (!open_) return status_;
  status_ = db_->Exec("COMMIT");
  if (status_.ok()) open_ = false;
  return status_;
}

void Transaction::Rollback() {
  if (!open_) return;
  db_->Exec("ROLLBACK").IgnoreError();
  open_ = false;
}

Savepoint::Savepoint(Database* db) : db_(db), begun_(db->RunCached("SAVEPOINT write")) {
  open_ = begun_.ok();
}

Savepoint::~Savepoint() {
  // Nothing to roll back to once SQLite rolled the whole transaction back.
  if (open_ && db_->InTransaction()) {
    db_->RunCached("ROLLBACK TO write").IgnoreError();
    db_->RunCached("RELEASE write").IgnoreError();
  }
}

absl::Status Savepoint::Keep() {
  absl::Status s = db_->RunCached("RELEASE write");
  if (s.ok()) open_ = false;
  return s;
}

void BindText(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, i));
}

}  // namespace vigil::sqlite
