#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/sqlite/database.h"
#include "services/notifier/alert.h"
#include "services/notifier/dedup.h"
#include "services/notifier/notification.h"
#include "vigil/v1/control.pb.h"

namespace vigil::notifier {

// The notifier's durable state, in one SQLite file (WAL, synchronous=NORMAL: a committed
// transaction survives the process being killed).
//
// Tables:
//   alerts   - the alerts held, one row per fingerprint (resolved ones too, until
//              garbage-collected), so that groups and owed resolved notifications survive
//              a restart;
//   nflog    - per stream (group key, receiver, integration): what was last *delivered*
//              (firing/resolved fingerprints, time, sequence);
//   outbox   - per stream: the notification handed to delivery and not yet delivered
//              (body, idempotency sequence, and the log entry it will become);
//   silences - Alertmanager silences as their API JSON, by id;
//   acks     - acknowledgements (who, when, comment), in the order given.
//
// Row order: alerts, nflog and outbox rows are keyed by an increasing row id, not by
// fingerprint or stream key, and the store keeps which row holds which (alert_rows_,
// log_rows_, outbox_rows_). A new alert, stream or owed notification is appended at the
// B-tree's tail, so a commit of many new ones writes a few pages to the WAL instead of one
// random page each (the fingerprint is a hash; the stream key's index was random too; the
// outbox's rows, deleted once delivered, go roughly in the order they came). Stores of the
// earlier shapes are migrated on opening. The format is kept in SQLite's user_version, and
// a store of a later format than the binary's is refused. A vigil-notifier from before
// formats were kept cannot tell: it misreads a migrated store (its writes would add rows
// instead of replacing them), so do not go back to one across a migration.
//
// Threading: not thread-safe; confined to one thread (the StoreWriter's in the daemon).
// Group writes in a Transaction so that many cost one commit.
class Store {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" for tests.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A write transaction: begun on construction, rolled back unless Commit() succeeded.
  // If BEGIN failed, each write commits itself (its Savepoint) and Commit() is OK.
  class Transaction {
   public:
    explicit Transaction(Store* store);  // null store: a no-op
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    absl::Status Commit();

   private:
    Store* store_;
    uint64_t row_changes_at_start_;
    sqlite::Transaction tx_;
  };

  // One write's part of a transaction (a SAVEPOINT), so that a write that fails midway
  // leaves nothing of itself: Keep() releases it into the transaction, the destructor
  // otherwise rolls back to it. If SQLite rolled the whole transaction back itself (it may
  // on SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM...), InTransaction() says so: the writes
  // before this one are gone too, and any after would run outside the transaction.
  class Savepoint {
   public:
    explicit Savepoint(Store* store);
    ~Savepoint();
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    const absl::Status& begun() const { return savepoint_.begun(); }
    absl::Status Keep();

   private:
    Store* store_;
    uint64_t row_changes_at_start_;
    bool kept_ = false;
    sqlite::Savepoint savepoint_;
  };
  // Whether a transaction is open on the connection (sqlite3_get_autocommit).
  bool InTransaction() const;

  absl::Status PutAlert(const Alert& alert);
  absl::Status DeleteAlert(uint64_t fingerprint);
  absl::StatusOr<std::vector<Alert>> LoadAlerts();

  // The delivered log, keyed by Notification::StreamKey().
  absl::Status PutLog(const std::string& stream_key, const LogEntry& entry);
  absl::Status DeleteLogBefore(TimestampMs cutoff_ms);
  absl::StatusOr<std::map<std::string, LogEntry>> LoadLog();

  // Notifications owed: one per stream, a newer one replaces the older.
  struct OutboxRow {
    Notification notification;  // id is not stored (0 when loaded)
    LogEntry entry;             // what the log records once it is delivered
  };
  absl::Status PutOutbox(const Notification& n, const LogEntry& entry);
  // Deletes the stream's row if it still holds `sequence`.
  absl::Status DeleteOutbox(const std::string& stream_key, uint64_t sequence);
  absl::StatusOr<std::vector<OutboxRow>> LoadOutbox();

  // Silences as opaque JSON documents (see silences.h), by id. A silence is replaced only
  // by a version updated no earlier (as Silences::Take): a peer's older copy, merged while
  // our newer change was queued, does not overwrite it.
  struct SilenceRow {
    std::string id;
    std::string json;
    TimestampMs ends_at_ms = 0;
    TimestampMs updated_at_ms = 0;
  };
  absl::Status PutSilence(const SilenceRow& row);
  absl::Status DeleteSilencesEndedBefore(TimestampMs cutoff_ms);
  absl::StatusOr<std::vector<std::string>> LoadSilences();

  // Checkpoints: replaces SQLite's automatic checkpoint (which runs inside a commit, with
  // fsyncs) by `hook`, called on this connection's thread after each commit with the
  // number of pages in the WAL; it decides when and where to checkpoint.
  void SetWalHook(std::function<void(int wal_pages)> hook);
  // Copies what it can from the WAL into the database without waiting for readers or
  // writers (SQLite's PASSIVE checkpoint); may run on another connection to the file.
  // `busy` when another connection was checkpointing.
  absl::StatusOr<sqlite::Database::CheckpointProgress> Checkpoint();
  const std::string& path() const { return db_->path(); }

  // Appends an acknowledgement under ack.id (the next free id when 0); returns its id.
  absl::StatusOr<int64_t> AddAck(const v1::Acknowledgement& ack);
  // Drops the acknowledgements given before `cutoff_ms` (their at_ms).
  absl::Status DeleteAcksBefore(TimestampMs cutoff_ms);
  // Oldest first, ids set.
  absl::StatusOr<std::vector<v1::Acknowledgement>> LoadAcks();

 private:
  explicit Store(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  absl::StatusOr<bool> HasColumn(const char* table, const char* column);
  // FailedPrecondition when the file is of a later format than this binary's.
  absl::Status CheckFormat();
  // Migrates a store made before silences kept their update time.
  absl::Status AddSilencesUpdatedAt();
  // Migrates tables keyed by fingerprint or stream key to row ids when `table` has
  // `key_column` but no `id`: `rename` moves the old tables away, kSchema creates the new
  // ones, `copy` fills them and drops the old. (Alerts and nflog move together; the
  // outbox moved later.)
  absl::Status AddRowIds(const char* table, const char* key_column, const char* rename,
                         const char* copy);
  // Reads which row holds which alert and stream, dropping older duplicates (left by a
  // write whose rollback the maps did not follow); run on opening and after a rollback.
  absl::Status IndexRows();
  absl::Status IndexRowsIfRolledBack() {
    return rows_rolled_back_ ? IndexRows() : absl::OkStatus();
  }

  std::unique_ptr<sqlite::Database> db_;
  absl::flat_hash_map<uint64_t, int64_t> alert_rows_;  // fingerprint -> alerts.id
  absl::flat_hash_map<uint64_t, int64_t> log_rows_;    // hash of the stream key -> nflog.id
  // Stream key -> outbox.id, by the whole key: a stream whose row the map lost would be
  // sent again after a restart. Holds only what is owed, so it stays small.
  absl::flat_hash_map<std::string, int64_t> outbox_rows_;
  // Never reused, even for a row rolled back: a stale map entry cannot name another's row.
  int64_t next_alert_row_ = 1;
  int64_t next_log_row_ = 1;
  int64_t next_outbox_row_ = 1;
  // Counts changes to the maps (and row deletions by IndexRows). A savepoint or
  // transaction rolled back after it changed sets rows_rolled_back_: the maps may then
  // name rows that are gone or miss rows that came back. One that changed nothing in them
  // (a silence, an alert rewritten in place) needs no re-reading.
  uint64_t row_changes_ = 0;
  bool rows_rolled_back_ = false;
};

// Whether the alerts table must be rewritten for `updated`, an event merged into `held`
// (the alert held, equal to its row except in updated_at and ends_at; the row ends at
// `stored_ends_at_ms`). Prometheus re-sends every active alert with a later endsAt only;
// that needs no write while the row still keeps the alert firing for at least half of
// its new validity, so a restart cannot mistake a firing alert for resolved unless the
// notifier stayed down longer than that (the evaluator's resync or the next re-send then
// fires it again). Everything else a recovery needs (annotations, start, generator URL,
// a resolution, a shorter end) is written at once. updated_at is not kept current: after
// a restart an event older than the last applied one may be applied once more.
bool AlertRowStale(const Alert& held, TimestampMs stored_ends_at_ms, const Alert& updated,
                   TimestampMs now);

// "a1b2...,c3d4..." (sorted hex fingerprints) and back; used by the store and tests.
std::string EncodeFingerprints(const FingerprintSet& set);
FingerprintSet DecodeFingerprints(std::string_view text);

}  // namespace vigil::notifier
