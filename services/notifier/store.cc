#include "services/notifier/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "lib/base/hex.h"
#include "lib/json/go_string.h"
#include "lib/sqlite/database.h"

namespace vigil::notifier {
namespace {

using sqlite::BindText;
using sqlite::ColumnText;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY,
  fingerprint INTEGER NOT NULL,
  labels_json TEXT NOT NULL,
  annotations_json TEXT NOT NULL,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  generator_url TEXT NOT NULL,
  timeout INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nflog(
  id INTEGER PRIMARY KEY,
  stream_key TEXT NOT NULL,
  firing TEXT NOT NULL,
  resolved TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  sequence INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id INTEGER PRIMARY KEY,
  stream_key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  kind INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  target TEXT NOT NULL,
  send_resolved INTEGER NOT NULL,
  max_alerts INTEGER NOT NULL,
  group_key TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  status TEXT NOT NULL,
  fingerprints TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  firing TEXT NOT NULL,
  resolved TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS acks(
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  proto BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS silences(
  id TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL DEFAULT 0);
)sql";

// Stores made before row ids keyed alerts by fingerprint and the log by stream key: their
// rows move to tables of the new shape (created by kSchema under the old tables' names
// once these are renamed away).
constexpr const char* kAlertsToRowIds = R"sql(
ALTER TABLE alerts RENAME TO alerts_by_fingerprint;
ALTER TABLE nflog RENAME TO nflog_by_stream_key;
)sql";
constexpr const char* kCopyToRowIds = R"sql(
INSERT INTO alerts(fingerprint, labels_json, annotations_json, starts_at_ms, ends_at_ms,
  updated_at_ms, generator_url, timeout)
SELECT fingerprint, labels_json, annotations_json, starts_at_ms, ends_at_ms, updated_at_ms,
  generator_url, timeout FROM alerts_by_fingerprint;
INSERT INTO nflog(stream_key, firing, resolved, timestamp_ms, sequence)
SELECT stream_key, firing, resolved, timestamp_ms, sequence FROM nflog_by_stream_key;
DROP TABLE alerts_by_fingerprint;
DROP TABLE nflog_by_stream_key;
)sql";
// The outbox was keyed by stream key (a second B-tree, written at a random page per row).
constexpr const char* kOutboxToRowIds = "ALTER TABLE outbox RENAME TO outbox_by_stream_key";
constexpr const char* kCopyOutboxToRowIds = R"sql(
INSERT INTO outbox(stream_key, receiver, kind, idx, target, send_resolved, max_alerts,
  group_key, sequence, status, fingerprints, body, created_ms, firing, resolved)
SELECT stream_key, receiver, kind, idx, target, send_resolved, max_alerts, group_key,
  sequence, status, fingerprints, body, created_ms, firing, resolved
FROM outbox_by_stream_key ORDER BY created_ms;
DROP TABLE outbox_by_stream_key;
)sql";

// The store's format in SQLite's user_version: 1 from the outbox keyed by row id on (0:
// earlier, migrated on opening). A store of a later format is not opened: an older binary
// would misread it, as one from before 1 misreads a store of format 1 (it adds outbox rows
// where it meant to replace them, and sends the superseded ones again after a restart).
constexpr int64_t kFormat = 1;

uint64_t StreamHash(std::string_view stream_key) { return absl::HashOf(stream_key); }

absl::Status DeleteRow(sqlite::Database& db, const char* sql, int64_t id) {
  auto st = db.Stmt(sql);
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, id);
  return db.Run(*st, "deleting a row");
}

// Reads `select` (a row id, then the key `key_of` reads; in row-id order) into `rows`, key
// -> its newest row, and deletes a key's older rows with `remove`: they were left by a
// write whose rollback a map did not follow, and the newer row wins. `next` ends past
// every id read.
template <typename Map, typename KeyOf>
absl::Status IndexTable(sqlite::Database& db, const char* select, const char* remove,
                        std::string_view what, KeyOf key_of, Map& rows, int64_t& next) {
  auto st = db.Stmt(select);
  if (!st.ok()) return st.status();
  std::vector<int64_t> stale;
  absl::Status read = db.ForEachRow(*st, what, [&] {
    const int64_t id = sqlite3_column_int64(*st, 0);
    auto [it, fresh] = rows.try_emplace(key_of(*st), id);
    if (!fresh) stale.push_back(std::exchange(it->second, id));
    next = std::max(next, id + 1);
  });
  if (!read.ok()) return read;
  for (int64_t id : stale) {
    if (auto s = DeleteRow(db, remove, id); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Adds `row` to `out` under `key`, or replaces the row read earlier under it: loaders read
// by row id, so the newer of two rows of one key wins (as IndexTable keeps it).
template <typename Key, typename Row>
void KeepNewest(Key key, Row row, absl::flat_hash_map<Key, size_t>& at, std::vector<Row>& out) {
  auto [it, fresh] = at.try_emplace(std::move(key), out.size());
  if (fresh) {
    out.push_back(std::move(row));
  } else {
    out[it->second] = std::move(row);
  }
}

// [["name","value"],...], written directly (a JSON document per pair was most of the
// store writer's cost of an alert row); invalid UTF-8 becomes U+FFFD, as Go writes it.
template <typename Pairs>  // labels::Labels or Annotations
std::string LabelsJson(const Pairs& ls) {
  std::string out = "[";
  for (const auto& l : ls) {
    if (out.size() > 1) out += ',';
    out += '[';
    json::AppendGoJsonString(l.name, &out, /*escape_html=*/false);
    out += ',';
    json::AppendGoJsonString(l.value, &out, /*escape_html=*/false);
    out += ']';
  }
  out += ']';
  return out;
}

std::vector<labels::Label> ParseLabelsJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  std::vector<labels::Label> out;
  if (j.is_array()) {
    for (const auto& pair : j) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
        out.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
      }
    }
  }
  return out;
}

}  // namespace

std::string EncodeFingerprints(const FingerprintSet& set) {
  std::vector<uint64_t> sorted(set.begin(), set.end());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  out.reserve(sorted.size() * 17);
  for (uint64_t fp : sorted) {
    if (!out.empty()) out += ',';
    AppendHex16(fp, &out);
  }
  return out;
}

FingerprintSet DecodeFingerprints(std::string_view text) {
  FingerprintSet out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    uint64_t fp = 0;
    if (absl::SimpleHexAtoi(ToAbsl(text.substr(start, end - start)), &fp)) out.insert(fp);
    start = end + 1;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  auto db = sqlite::Database::Open(path, sqlite::kWalPragmas);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store(*std::move(db)));
  if (auto s = store->CheckFormat(); !s.ok()) return s;
  if (auto s = store->AddRowIds("alerts", "fingerprint", kAlertsToRowIds, kCopyToRowIds); !s.ok()) {
    return s;
  }
  if (auto s = store->AddRowIds("outbox", "stream_key", kOutboxToRowIds, kCopyOutboxToRowIds);
      !s.ok()) {
    return s;
  }
  if (auto s = store->db_->Exec(kSchema); !s.ok()) return s;
  if (auto s = store->AddSilencesUpdatedAt(); !s.ok()) return s;
  if (auto s = store->IndexRows(); !s.ok()) return s;
  const std::string set_format = StrCat("PRAGMA user_version = ", kFormat);
  if (auto s = store->db_->Exec(set_format.c_str()); !s.ok()) return s;
  return store;
}

absl::Status Store::CheckFormat() {
  auto st = db_->Stmt("PRAGMA user_version");
  if (!st.ok()) return st.status();
  int64_t format = 0;
  absl::Status read = db_->ForEachRow(*st, "reading the store's format",
                                      [&] { format = sqlite3_column_int64(*st, 0); });
  if (!read.ok()) return read;
  if (format <= kFormat) return absl::OkStatus();
  return absl::FailedPreconditionError(
      StrCat(db_->path(), ": written by a newer vigil-notifier (store format ", format,
             "; this one reads formats up to ", kFormat, ")"));
}

absl::StatusOr<bool> Store::HasColumn(const char* table, const char* column) {
  auto st = db_->Stmt("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  if (!st.ok()) return st.status();
  BindText(*st, 1, table);
  BindText(*st, 2, column);
  bool has_column = false;
  absl::Status read = db_->ForEachRow(*st, "reading a table's columns", [&] { has_column = true; });
  if (!read.ok()) return read;
  return has_column;
}

absl::Status Store::AddSilencesUpdatedAt() {
  // A store written before silences had the column: its rows count as oldest (0), so that
  // any update replaces them.
  auto has = HasColumn("silences", "updated_at_ms");
  if (!has.ok() || *has) return has.status();
  return db_->Exec("ALTER TABLE silences ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0");
}

absl::Status Store::AddRowIds(const char* table, const char* key_column, const char* rename,
                              const char* copy) {
  // A new store has no such table yet; one from before row ids has it without `id`.
  auto has_key = HasColumn(table, key_column);
  if (!has_key.ok() || !*has_key) return has_key.status();
  auto has_id = HasColumn(table, "id");
  if (!has_id.ok() || *has_id) return has_id.status();
  sqlite::Transaction tx(db_.get());
  if (!tx.status().ok()) return tx.status();
  if (auto s = db_->Exec(rename); !s.ok()) return s;
  if (auto s = db_->Exec(kSchema); !s.ok()) return s;
  if (auto s = db_->Exec(copy); !s.ok()) return s;
  return tx.Commit();
}

absl::Status Store::IndexRows() {
  alert_rows_.clear();
  log_rows_.clear();
  outbox_rows_.clear();
  auto fingerprint = [](sqlite3_stmt* st) {
    return static_cast<uint64_t>(sqlite3_column_int64(st, 1));
  };
  auto text_key = [](sqlite3_stmt* st) { return ColumnText(st, 1); };
  if (auto s = IndexTable(*db_, "SELECT id, fingerprint FROM alerts ORDER BY id",
                          "DELETE FROM alerts WHERE id = ?", "indexing alerts", fingerprint,
                          alert_rows_, next_alert_row_);
      !s.ok()) {
    return s;
  }
  absl::flat_hash_map<std::string, int64_t> by_key;  // duplicates by key, not by hash
  if (auto s = IndexTable(*db_, "SELECT id, stream_key FROM nflog ORDER BY id",
                          "DELETE FROM nflog WHERE id = ?", "indexing the notification log",
                          text_key, by_key, next_log_row_);
      !s.ok()) {
    return s;
  }
  for (const auto& [key, id] : by_key) log_rows_[StreamHash(key)] = id;
  // Two rows of a stream: the newer superseded the older (a replacement whose deletion
  // the map did not follow).
  if (auto s = IndexTable(*db_, "SELECT id, stream_key FROM outbox ORDER BY id",
                          "DELETE FROM outbox WHERE id = ?", "indexing owed notifications",
                          text_key, outbox_rows_, next_outbox_row_);
      !s.ok()) {
    return s;
  }
  ++row_changes_;  // its deletions of stale rows roll back with a savepoint around it
  rows_rolled_back_ = false;
  return absl::OkStatus();
}

Store::Transaction::Transaction(Store* store)
    : store_(store),
      row_changes_at_start_(store ? store->row_changes_ : 0),
      tx_(store ? store->db_.get() : nullptr) {}

Store::Transaction::~Transaction() {
  // tx_ rolls back next.
  if (tx_.open() && store_->row_changes_ != row_changes_at_start_) {
    store_->rows_rolled_back_ = true;
  }
}

absl::Status Store::Transaction::Commit() { return tx_.open() ? tx_.Commit() : absl::OkStatus(); }

Store::Savepoint::Savepoint(Store* store)
    : store_(store), row_changes_at_start_(store->row_changes_), savepoint_(store->db_.get()) {}

Store::Savepoint::~Savepoint() {
  // savepoint_ rolls back next.
  if (!kept_ && store_->row_changes_ != row_changes_at_start_) store_->rows_rolled_back_ = true;
}

absl::Status Store::Savepoint::Keep() {
  absl::Status s = savepoint_.Keep();
  kept_ = s.ok();
  return s;
}

bool Store::InTransaction() const { return db_->InTransaction(); }

void Store::SetWalHook(std::function<void(int wal_pages)> hook) {
  db_->SetWalHook(std::move(hook));
}

absl::StatusOr<sqlite::Database::CheckpointProgress> Store::Checkpoint() {
  return db_->CheckpointPassive();
}

absl::Status Store::PutAlert(const Alert& a) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  // The alert's row is rewritten in place (`id` from the map), a new alert's appended.
  auto row = alert_rows_.find(a.fingerprint);
  const int64_t id = row != alert_rows_.end() ? row->second : next_alert_row_++;
  auto st = db_->Stmt(
      "INSERT OR REPLACE INTO alerts(id, fingerprint, labels_json, annotations_json, "
      "starts_at_ms, ends_at_ms, updated_at_ms, generator_url, timeout) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, id);
  sqlite3_bind_int64(*st, 2, static_cast<int64_t>(a.fingerprint));
  BindText(*st, 3, LabelsJson(a.labels));
  BindText(*st, 4, LabelsJson(a.annotations));
  sqlite3_bind_int64(*st, 5, a.starts_at_ms);
  sqlite3_bind_int64(*st, 6, a.ends_at_ms);
  sqlite3_bind_int64(*st, 7, a.updated_at_ms);
  BindText(*st, 8, a.generator_url);
  sqlite3_bind_int(*st, 9, a.timeout ? 1 : 0);
  if (auto s = db_->Run(*st, "storing an alert"); !s.ok()) return s;
  if (row == alert_rows_.end()) {
    alert_rows_.emplace(a.fingerprint, id);
    ++row_changes_;
  }
  return absl::OkStatus();
}

absl::Status Store::DeleteAlert(uint64_t fingerprint) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  auto row = alert_rows_.find(fingerprint);
  if (row == alert_rows_.end()) return absl::OkStatus();  // no row
  if (auto s = DeleteRow(*db_, "DELETE FROM alerts WHERE id = ?", row->second); !s.ok()) {
    return s;
  }
  alert_rows_.erase(row);
  ++row_changes_;
  return absl::OkStatus();
}

bool AlertRowStale(const Alert& held, TimestampMs stored_ends_at_ms, const Alert& updated,
                   TimestampMs now) {
  if (updated.annotations != held.annotations || updated.starts_at_ms != held.starts_at_ms ||
      updated.generator_url != held.generator_url || updated.timeout != held.timeout) {
    return true;
  }
  if (updated.ends_at_ms == stored_ends_at_ms) return false;
  const bool extended = stored_ends_at_ms > now && updated.ends_at_ms > stored_ends_at_ms;
  return !(extended && stored_ends_at_ms - now >= (updated.ends_at_ms - now) / 2);
}

absl::StatusOr<std::vector<Alert>> Store::LoadAlerts() {
  auto st = db_->Stmt(
      "SELECT labels_json, annotations_json, starts_at_ms, ends_at_ms, updated_at_ms, "
      "generator_url, timeout FROM alerts ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<Alert> out;
  // By row: should an alert have two rows, the newer is read (as IndexRows keeps it).
  absl::flat_hash_map<uint64_t, size_t> at;  // fingerprint -> index in out
  absl::Status read = db_->ForEachRow(*st, "loading alerts", [&] {
    Alert a;
    a.labels = labels::Labels(ParseLabelsJson(ColumnText(*st, 0)));
    a.annotations = Annotations(ParseLabelsJson(ColumnText(*st, 1)));
    a.starts_at_ms = sqlite3_column_int64(*st, 2);
    a.ends_at_ms = sqlite3_column_int64(*st, 3);
    a.updated_at_ms = sqlite3_column_int64(*st, 4);
    a.generator_url = ColumnText(*st, 5);
    a.timeout = sqlite3_column_int(*st, 6) != 0;
    a.fingerprint = a.labels.Fingerprint();
    if (a.labels.empty()) return;
    const uint64_t fingerprint = a.fingerprint;
    KeepNewest(fingerprint, std::move(a), at, out);
  });
  if (!read.ok()) return read;
  return out;
}

absl::Status Store::PutLog(const std::string& stream_key, const LogEntry& e) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  const uint64_t hash = StreamHash(stream_key);
  auto row = log_rows_.find(hash);
  if (row != log_rows_.end()) {
    // The stream's row, unless another stream's key has the same hash: then no row
    // changes, and the entry is appended below as if new (IndexRows keeps the newest).
    auto st = db_->Stmt(
        "UPDATE nflog SET firing = ?, resolved = ?, timestamp_ms = ?, sequence = ? "
        "WHERE id = ? AND stream_key = ?");
    if (!st.ok()) return st.status();
    BindText(*st, 1, EncodeFingerprints(e.firing));
    BindText(*st, 2, EncodeFingerprints(e.resolved));
    sqlite3_bind_int64(*st, 3, e.timestamp_ms);
    sqlite3_bind_int64(*st, 4, static_cast<int64_t>(e.sequence));
    sqlite3_bind_int64(*st, 5, row->second);
    BindText(*st, 6, stream_key);
    if (auto s = db_->Run(*st, "storing a notification log entry"); !s.ok()) return s;
    if (db_->Changes() > 0) return absl::OkStatus();
  }
  const int64_t id = next_log_row_++;
  auto st = db_->Stmt(
      "INSERT INTO nflog(id, stream_key, firing, resolved, timestamp_ms, sequence) "
      "VALUES(?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, id);
  BindText(*st, 2, stream_key);
  BindText(*st, 3, EncodeFingerprints(e.firing));
  BindText(*st, 4, EncodeFingerprints(e.resolved));
  sqlite3_bind_int64(*st, 5, e.timestamp_ms);
  sqlite3_bind_int64(*st, 6, static_cast<int64_t>(e.sequence));
  if (auto s = db_->Run(*st, "storing a notification log entry"); !s.ok()) return s;
  log_rows_[hash] = id;
  ++row_changes_;
  return absl::OkStatus();
}

absl::Status Store::DeleteLogBefore(TimestampMs cutoff_ms) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  auto st = db_->Stmt("DELETE FROM nflog WHERE timestamp_ms < ? RETURNING id, stream_key");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  std::vector<std::pair<int64_t, uint64_t>> deleted;  // row id, stream hash
  absl::Status s = db_->ForEachRow(*st, "expiring notification log entries", [&] {
    deleted.emplace_back(sqlite3_column_int64(*st, 0), StreamHash(ColumnText(*st, 1)));
  });
  if (!s.ok()) return s;  // nothing deleted: the map stays as it is
  for (const auto& [id, hash] : deleted) {
    auto row = log_rows_.find(hash);
    if (row != log_rows_.end() && row->second == id) {
      log_rows_.erase(row);
      ++row_changes_;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, LogEntry>> Store::LoadLog() {
  // By row: should a stream have two rows, the newer is read (as IndexRows keeps it).
  auto st = db_->Stmt(
      "SELECT stream_key, firing, resolved, timestamp_ms, sequence FROM nflog ORDER BY id");
  if (!st.ok()) return st.status();
  std::map<std::string, LogEntry> out;
  absl::Status read = db_->ForEachRow(*st, "loading the notification log", [&] {
    LogEntry e;
    e.firing = DecodeFingerprints(ColumnText(*st, 1));
    e.resolved = DecodeFingerprints(ColumnText(*st, 2));
    e.timestamp_ms = sqlite3_column_int64(*st, 3);
    e.sequence = static_cast<uint64_t>(sqlite3_column_int64(*st, 4));
    out.insert_or_assign(ColumnText(*st, 0), std::move(e));
  });
  if (!read.ok()) return read;
  return out;
}

absl::Status Store::PutOutbox(const Notification& n, const LogEntry& e) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  std::string stream_key = n.StreamKey();
  // The newer notification of a stream replaces the older, appended as a new row so that
  // rows stay in the order written. Inserted first: should that fail, the older is still
  // owed, unchanged.
  auto row = outbox_rows_.find(stream_key);
  const int64_t id = next_outbox_row_++;
  auto st = db_->Stmt(
      "INSERT INTO outbox(id, stream_key, receiver, kind, idx, target, send_resolved, "
      "max_alerts, group_key, sequence, status, fingerprints, body, created_ms, firing, "
      "resolved) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  std::string fingerprints;
  for (const std::string& fp : n.fingerprints) {
    if (!fingerprints.empty()) fingerprints += ',';
    fingerprints += fp;
  }
  sqlite3_bind_int64(*st, 1, id);
  BindText(*st, 2, stream_key);
  BindText(*st, 3, n.receiver);
  sqlite3_bind_int(*st, 4, static_cast<int>(n.integration.kind));
  sqlite3_bind_int(*st, 5, n.integration.index);
  BindText(*st, 6, n.integration.target);
  sqlite3_bind_int(*st, 7, n.integration.send_resolved ? 1 : 0);
  sqlite3_bind_int64(*st, 8, n.integration.max_alerts);
  BindText(*st, 9, n.group_key);
  sqlite3_bind_int64(*st, 10, static_cast<int64_t>(n.sequence));
  BindText(*st, 11, n.status);
  BindText(*st, 12, fingerprints);
  BindText(*st, 13, n.body);
  sqlite3_bind_int64(*st, 14, n.created_ms);
  BindText(*st, 15, EncodeFingerprints(e.firing));
  BindText(*st, 16, EncodeFingerprints(e.resolved));
  if (auto s = db_->Run(*st, "storing an owed notification"); !s.ok()) return s;
  if (row != outbox_rows_.end()) {
    if (auto s = DeleteRow(*db_, "DELETE FROM outbox WHERE id = ?", row->second); !s.ok()) {
      // The insert stays or goes with the caller's savepoint: the map is read again from
      // the table either way (where, should both rows stay, the newer one wins).
      rows_rolled_back_ = true;
      return s;
    }
    row->second = id;
  } else {
    outbox_rows_.emplace(std::move(stream_key), id);
  }
  ++row_changes_;
  return absl::OkStatus();
}

absl::Status Store::DeleteOutbox(const std::string& stream_key, uint64_t sequence) {
  if (auto s = IndexRowsIfRolledBack(); !s.ok()) return s;
  auto row = outbox_rows_.find(stream_key);
  if (row == outbox_rows_.end()) return absl::OkStatus();  // no row
  auto st = db_->Stmt("DELETE FROM outbox WHERE id = ? AND sequence = ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, row->second);
  sqlite3_bind_int64(*st, 2, static_cast<int64_t>(sequence));
  if (auto s = db_->Run(*st, "deleting an owed notification"); !s.ok()) return s;
  if (db_->Changes() > 0) {  // else a newer notification holds the row
    outbox_rows_.erase(row);
    ++row_changes_;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Store::OutboxRow>> Store::LoadOutbox() {
  auto st = db_->Stmt(
      "SELECT receiver, kind, idx, target, send_resolved, max_alerts, group_key, sequence, "
      "status, fingerprints, body, created_ms, firing, resolved, stream_key FROM outbox "
      "ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<OutboxRow> out;
  // By row: should a stream have two rows, the newer is read (as IndexRows keeps it).
  absl::flat_hash_map<std::string, size_t> at;  // stream key -> index in out
  absl::Status read = db_->ForEachRow(*st, "loading owed notifications", [&] {
    OutboxRow row;
    Notification& n = row.notification;
    n.receiver = ColumnText(*st, 0);
    const int kind = sqlite3_column_int(*st, 1);
    n.integration.kind = kind == static_cast<int>(Integration::Kind::kFile)
                             ? Integration::Kind::kFile
                         : kind == static_cast<int>(Integration::Kind::kAlertmanager)
                             ? Integration::Kind::kAlertmanager
                             : Integration::Kind::kWebhook;
    n.integration.index = sqlite3_column_int(*st, 2);
    n.integration.target = ColumnText(*st, 3);
    n.integration.send_resolved = sqlite3_column_int(*st, 4) != 0;
    n.integration.max_alerts = sqlite3_column_int64(*st, 5);
    n.group_key = ColumnText(*st, 6);
    n.sequence = static_cast<uint64_t>(sqlite3_column_int64(*st, 7));
    n.status = ColumnText(*st, 8);
    const std::string fps = ColumnText(*st, 9);
    for (size_t start = 0; start < fps.size();) {
      size_t end = fps.find(',', start);
      if (end == std::string::npos) end = fps.size();
      n.fingerprints.push_back(fps.substr(start, end - start));
      start = end + 1;
    }
    n.body = ColumnText(*st, 10);
    n.created_ms = sqlite3_column_int64(*st, 11);
    row.entry.firing = DecodeFingerprints(ColumnText(*st, 12));
    row.entry.resolved = DecodeFingerprints(ColumnText(*st, 13));
    row.entry.timestamp_ms = n.created_ms;
    row.entry.sequence = n.sequence;
    KeepNewest(ColumnText(*st, 14), std::move(row), at, out);
  });
  if (!read.ok()) return read;
  return out;
}

absl::Status Store::PutSilence(const SilenceRow& row) {
  auto st = db_->Stmt(
      "INSERT INTO silences(id, json, ends_at_ms, updated_at_ms) VALUES(?, ?, ?, ?) "
      "ON CONFLICT(id) DO UPDATE SET json = excluded.json, ends_at_ms = excluded.ends_at_ms, "
      "updated_at_ms = excluded.updated_at_ms "
      "WHERE excluded.updated_at_ms >= silences.updated_at_ms");
  if (!st.ok()) return st.status();
  BindText(*st, 1, row.id);
  BindText(*st, 2, row.json);
  sqlite3_bind_int64(*st, 3, row.ends_at_ms);
  sqlite3_bind_int64(*st, 4, row.updated_at_ms);
  return db_->Run(*st, "storing a silence");
}

absl::Status Store::DeleteSilencesEndedBefore(TimestampMs cutoff_ms) {
  auto st = db_->Stmt("DELETE FROM silences WHERE ends_at_ms < ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  return db_->Run(*st, "expiring silences");
}

absl::StatusOr<std::vector<std::string>> Store::LoadSilences() {
  auto st = db_->Stmt("SELECT json FROM silences ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<std::string> out;
  absl::Status read =
      db_->ForEachRow(*st, "loading silences", [&] { out.push_back(ColumnText(*st, 0)); });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<int64_t> Store::AddAck(const v1::Acknowledgement& ack) {
  auto st = db_->Stmt("INSERT INTO acks(id, at_ms, proto) VALUES(?, ?, ?)");
  if (!st.ok()) return st.status();
  const std::string bytes = ack.SerializeAsString();
  if (ack.id() != 0) sqlite3_bind_int64(*st, 1, ack.id());  // else NULL: the next rowid
  sqlite3_bind_int64(*st, 2, ack.at_ms());
  sqlite3_bind_blob(*st, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (auto s = db_->Run(*st, "storing an acknowledgement"); !s.ok()) return s;
  return db_->LastInsertRowid();
}

absl::Status Store::DeleteAcksBefore(TimestampMs cutoff_ms) {
  auto st = db_->Stmt("DELETE FROM acks WHERE at_ms < ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  return db_->Run(*st, "expiring acknowledgements");
}

absl::StatusOr<std::vector<v1::Acknowledgement>> Store::LoadAcks() {
  auto st = db_->Stmt("SELECT id, proto FROM acks ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<v1::Acknowledgement> out;
  absl::Status read = db_->ForEachRow(*st, "loading acknowledgements", [&] {
    v1::Acknowledgement ack;
    const void* p = sqlite3_column_blob(*st, 1);
    if (p != nullptr && ack.ParseFromArray(p, sqlite3_column_bytes(*st, 1))) {
      ack.set_id(sqlite3_column_int64(*st, 0));
      out.push_back(std::move(ack));
    }
  });
  if (!read.ok()) return read;
  return out;
}

}  // namespace vigil::notifier
