#include "services/notifier/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "lib/base/format.h"

namespace vigil::notifier {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts(
  fingerprint INTEGER PRIMARY KEY,
  labels_json TEXT NOT NULL,
  annotations_json TEXT NOT NULL,
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  generator_url TEXT NOT NULL,
  timeout INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nflog(
  stream_key TEXT PRIMARY KEY,
  firing TEXT NOT NULL,
  resolved TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  sequence INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  stream_key TEXT PRIMARY KEY,
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

template <typename Pairs>  // labels::Labels or Annotations
std::string LabelsJson(const Pairs& ls) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& l : ls) j.push_back({l.name, l.value});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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

void BindText(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, i));
}

}  // namespace

std::string EncodeFingerprints(const FingerprintSet& set) {
  std::vector<uint64_t> sorted(set.begin(), set.end());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (uint64_t fp : sorted) {
    if (!out.empty()) out += ',';
    out += absl::StrFormat("%016x", fp);
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
  std::unique_ptr<Store> store(new Store());
  if (auto s = store->Init(path); !s.ok()) return s;
  return store;
}

Store::~Store() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  if (db_ != nullptr) sqlite3_close(db_);
}

absl::Status Store::Init(const std::string& path) {
  path_ = path;
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return Error("cannot open database");
  }
  sqlite3_busy_timeout(db_, 5000);
  if (auto s = Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s.ok()) return s;
  if (auto s = Exec(kSchema); !s.ok()) return s;
  return AddSilencesUpdatedAt();
}

absl::Status Store::AddSilencesUpdatedAt() {
  // A store written before silences had the column: its rows count as oldest (0), so that
  // any update replaces them.
  auto st = Stmt("SELECT 1 FROM pragma_table_info('silences') WHERE name = 'updated_at_ms'");
  if (!st.ok()) return st.status();
  const int rc = sqlite3_step(*st);
  sqlite3_reset(*st);
  if (rc == SQLITE_ROW) return absl::OkStatus();
  if (rc != SQLITE_DONE) return Error("reading the silences table");
  return Exec("ALTER TABLE silences ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0");
}

absl::Status Store::Error(std::string_view what) const {
  return absl::InternalError(StrCat(path_, ": ", what, ": ", sqlite3_errmsg(db_)));
}

absl::Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(StrCat(path_, ": ", err ? err : "sqlite error"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::Status Store::Prepared(const char* sql) {
  auto st = Stmt(sql);
  if (!st.ok()) return st.status();
  return Run(*st, sql);
}

absl::StatusOr<sqlite3_stmt*> Store::Stmt(const char* sql) {
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

absl::Status Store::Run(sqlite3_stmt* st, std::string_view what) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(what);
}

Store::Transaction::Transaction(Store* store) : store_(store) {
  if (store_ != nullptr) open_ = store_->Exec("BEGIN").ok();
}

Store::Transaction::~Transaction() {
  if (open_) store_->Exec("ROLLBACK").IgnoreError();
}

absl::Status Store::Transaction::Commit() {
  if (!open_) return absl::OkStatus();
  absl::Status s = store_->Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

Store::Savepoint::Savepoint(Store* store) : store_(store), begun_(store->Prepared("SAVEPOINT write")) {
  open_ = begun_.ok();
}

Store::Savepoint::~Savepoint() {
  // Nothing to roll back to once SQLite rolled the whole transaction back.
  if (open_ && store_->InTransaction()) {
    store_->Prepared("ROLLBACK TO write").IgnoreError();
    store_->Prepared("RELEASE write").IgnoreError();
  }
}

absl::Status Store::Savepoint::Keep() {
  absl::Status s = store_->Prepared("RELEASE write");
  if (s.ok()) open_ = false;
  return s;
}

bool Store::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Store::SetWalHook(std::function<void(int wal_pages)> hook) {
  wal_hook_ = std::move(hook);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<Store*>(self)->wal_hook_(pages);
        return SQLITE_OK;
      },
      this);
}

absl::Status Store::Checkpoint() {
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
      SQLITE_OK) {
    return Error("checkpointing the WAL");
  }
  return absl::OkStatus();
}

absl::Status Store::PutAlert(const Alert& a) {
  auto st = Stmt(
      "INSERT OR REPLACE INTO alerts(fingerprint, labels_json, annotations_json, starts_at_ms, "
      "ends_at_ms, updated_at_ms, generator_url, timeout) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, static_cast<int64_t>(a.fingerprint));
  BindText(*st, 2, LabelsJson(a.labels));
  BindText(*st, 3, LabelsJson(a.annotations));
  sqlite3_bind_int64(*st, 4, a.starts_at_ms);
  sqlite3_bind_int64(*st, 5, a.ends_at_ms);
  sqlite3_bind_int64(*st, 6, a.updated_at_ms);
  BindText(*st, 7, a.generator_url);
  sqlite3_bind_int(*st, 8, a.timeout ? 1 : 0);
  return Run(*st, "storing an alert");
}

absl::Status Store::DeleteAlert(uint64_t fingerprint) {
  auto st = Stmt("DELETE FROM alerts WHERE fingerprint = ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, static_cast<int64_t>(fingerprint));
  return Run(*st, "deleting an alert");
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
  auto st = Stmt(
      "SELECT labels_json, annotations_json, starts_at_ms, ends_at_ms, updated_at_ms, "
      "generator_url, timeout FROM alerts");
  if (!st.ok()) return st.status();
  std::vector<Alert> out;
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
    Alert a;
    a.labels = labels::Labels(ParseLabelsJson(ColumnText(*st, 0)));
    a.annotations = Annotations(ParseLabelsJson(ColumnText(*st, 1)));
    a.starts_at_ms = sqlite3_column_int64(*st, 2);
    a.ends_at_ms = sqlite3_column_int64(*st, 3);
    a.updated_at_ms = sqlite3_column_int64(*st, 4);
    a.generator_url = ColumnText(*st, 5);
    a.timeout = sqlite3_column_int(*st, 6) != 0;
    a.fingerprint = a.labels.Fingerprint();
    if (!a.labels.empty()) out.push_back(std::move(a));
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return Error("loading alerts");
  return out;
}

absl::Status Store::PutLog(const std::string& stream_key, const LogEntry& e) {
  auto st = Stmt(
      "INSERT OR REPLACE INTO nflog(stream_key, firing, resolved, timestamp_ms, sequence) "
      "VALUES(?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  BindText(*st, 1, stream_key);
  BindText(*st, 2, EncodeFingerprints(e.firing));
  BindText(*st, 3, EncodeFingerprints(e.resolved));
  sqlite3_bind_int64(*st, 4, e.timestamp_ms);
  sqlite3_bind_int64(*st, 5, static_cast<int64_t>(e.sequence));
  return Run(*st, "storing a notification log entry");
}

absl::Status Store::DeleteLogBefore(TimestampMs cutoff_ms) {
  auto st = Stmt("DELETE FROM nflog WHERE timestamp_ms < ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  return Run(*st, "expiring notification log entries");
}

absl::StatusOr<std::map<std::string, LogEntry>> Store::LoadLog() {
  auto st = Stmt("SELECT stream_key, firing, resolved, timestamp_ms, sequence FROM nflog");
  if (!st.ok()) return st.status();
  std::map<std::string, LogEntry> out;
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
    LogEntry e;
    e.firing = DecodeFingerprints(ColumnText(*st, 1));
    e.resolved = DecodeFingerprints(ColumnText(*st, 2));
    e.timestamp_ms = sqlite3_column_int64(*st, 3);
    e.sequence = static_cast<uint64_t>(sqlite3_column_int64(*st, 4));
    out.emplace(ColumnText(*st, 0), std::move(e));
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return Error("loading the notification log");
  return out;
}

absl::Status Store::PutOutbox(const Notification& n, const LogEntry& e) {
  auto st = Stmt(
      "INSERT OR REPLACE INTO outbox(stream_key, receiver, kind, idx, target, send_resolved, "
      "max_alerts, group_key, sequence, status, fingerprints, body, created_ms, firing, "
      "resolved) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  std::string fingerprints;
  for (const std::string& fp : n.fingerprints) {
    if (!fingerprints.empty()) fingerprints += ',';
    fingerprints += fp;
  }
  BindText(*st, 1, n.StreamKey());
  BindText(*st, 2, n.receiver);
  sqlite3_bind_int(*st, 3, static_cast<int>(n.integration.kind));
  sqlite3_bind_int(*st, 4, n.integration.index);
  BindText(*st, 5, n.integration.target);
  sqlite3_bind_int(*st, 6, n.integration.send_resolved ? 1 : 0);
  sqlite3_bind_int64(*st, 7, n.integration.max_alerts);
  BindText(*st, 8, n.group_key);
  sqlite3_bind_int64(*st, 9, static_cast<int64_t>(n.sequence));
  BindText(*st, 10, n.status);
  BindText(*st, 11, fingerprints);
  BindText(*st, 12, n.body);
  sqlite3_bind_int64(*st, 13, n.created_ms);
  BindText(*st, 14, EncodeFingerprints(e.firing));
  BindText(*st, 15, EncodeFingerprints(e.resolved));
  return Run(*st, "storing an owed notification");
}

absl::Status Store::DeleteOutbox(const std::string& stream_key, uint64_t sequence) {
  auto st = Stmt("DELETE FROM outbox WHERE stream_key = ? AND sequence = ?");
  if (!st.ok()) return st.status();
  BindText(*st, 1, stream_key);
  sqlite3_bind_int64(*st, 2, static_cast<int64_t>(sequence));
  return Run(*st, "deleting an owed notification");
}

absl::StatusOr<std::vector<Store::OutboxRow>> Store::LoadOutbox() {
  auto st = Stmt(
      "SELECT receiver, kind, idx, target, send_resolved, max_alerts, group_key, sequence, "
      "status, fingerprints, body, created_ms, firing, resolved FROM outbox ORDER BY created_ms");
  if (!st.ok()) return st.status();
  std::vector<OutboxRow> out;
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
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
    out.push_back(std::move(row));
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return Error("loading owed notifications");
  return out;
}

absl::Status Store::PutSilence(const SilenceRow& row) {
  auto st = Stmt(
      "INSERT INTO silences(id, json, ends_at_ms, updated_at_ms) VALUES(?, ?, ?, ?) "
      "ON CONFLICT(id) DO UPDATE SET json = excluded.json, ends_at_ms = excluded.ends_at_ms, "
      "updated_at_ms = excluded.updated_at_ms "
      "WHERE excluded.updated_at_ms >= silences.updated_at_ms");
  if (!st.ok()) return st.status();
  BindText(*st, 1, row.id);
  BindText(*st, 2, row.json);
  sqlite3_bind_int64(*st, 3, row.ends_at_ms);
  sqlite3_bind_int64(*st, 4, row.updated_at_ms);
  return Run(*st, "storing a silence");
}

absl::Status Store::DeleteSilencesEndedBefore(TimestampMs cutoff_ms) {
  auto st = Stmt("DELETE FROM silences WHERE ends_at_ms < ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  return Run(*st, "expiring silences");
}

absl::StatusOr<std::vector<std::string>> Store::LoadSilences() {
  auto st = Stmt("SELECT json FROM silences ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) out.push_back(ColumnText(*st, 0));
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return Error("loading silences");
  return out;
}

absl::StatusOr<int64_t> Store::AddAck(const v1::Acknowledgement& ack) {
  auto st = Stmt("INSERT INTO acks(id, at_ms, proto) VALUES(?, ?, ?)");
  if (!st.ok()) return st.status();
  const std::string bytes = ack.SerializeAsString();
  if (ack.id() != 0) sqlite3_bind_int64(*st, 1, ack.id());  // else NULL: the next rowid
  sqlite3_bind_int64(*st, 2, ack.at_ms());
  sqlite3_bind_blob(*st, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (auto s = Run(*st, "storing an acknowledgement"); !s.ok()) return s;
  return sqlite3_last_insert_rowid(db_);
}

absl::Status Store::DeleteAcksBefore(TimestampMs cutoff_ms) {
  auto st = Stmt("DELETE FROM acks WHERE at_ms < ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, cutoff_ms);
  return Run(*st, "expiring acknowledgements");
}

absl::StatusOr<std::vector<v1::Acknowledgement>> Store::LoadAcks() {
  auto st = Stmt("SELECT id, proto FROM acks ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<v1::Acknowledgement> out;
  int rc;
  while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
    v1::Acknowledgement ack;
    const void* p = sqlite3_column_blob(*st, 1);
    if (p != nullptr && ack.ParseFromArray(p, sqlite3_column_bytes(*st, 1))) {
      ack.set_id(sqlite3_column_int64(*st, 0));
      out.push_back(std::move(ack));
    }
  }
  sqlite3_reset(*st);
  if (rc != SQLITE_DONE) return Error("loading acknowledgements");
  return out;
}

}  // namespace vigil::notifier
