#include "services/reporter/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "lib/base/format.h"
#include "lib/codec/samples.h"

namespace vigil::reporter {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  labels TEXT NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS series_by_name ON series(name);
CREATE TABLE IF NOT EXISTS samples(
  series_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY(series_id, t_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_events(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  alertname TEXT NOT NULL,
  state TEXT NOT NULL,
  event_time_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  labels_json TEXT NOT NULL,
  annotations_json TEXT NOT NULL,
  value REAL,
  active_at_ms INTEGER NOT NULL,
  fired_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER NOT NULL,
  UNIQUE(fingerprint, state, active_at_ms, fired_at_ms, resolved_at_ms));
CREATE INDEX IF NOT EXISTS alert_events_by_name ON alert_events(alertname, event_time_ms);
CREATE TABLE IF NOT EXISTS notifications(
  id INTEGER PRIMARY KEY,
  receiver TEXT NOT NULL,
  group_key TEXT NOT NULL,
  status TEXT NOT NULL,
  fingerprints_json TEXT NOT NULL,
  sent_at_ms INTEGER NOT NULL,
  delivered INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  UNIQUE(receiver, group_key, status, sent_at_ms, attempts, delivered));
)sql";

std::string_view StateName(v1::AlertState s) {
  switch (s) {
    case v1::ALERT_STATE_PENDING:
      return "pending";
    case v1::ALERT_STATE_FIRING:
      return "firing";
    case v1::ALERT_STATE_INACTIVE:
      return "inactive";
    default:
      return "unspecified";
  }
}

std::string LabelsJson(const google::protobuf::RepeatedPtrField<v1::Label>& in) {
  nlohmann::json j = nlohmann::json::object();
  for (const v1::Label& l : in) j[l.name()] = l.value();
  return j.dump();
}

void JsonToLabels(const unsigned char* text, google::protobuf::RepeatedPtrField<v1::Label>* out) {
  if (text == nullptr) return;
  auto j = nlohmann::json::parse(reinterpret_cast<const char*>(text), nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) continue;
    v1::Label* l = out->Add();
    l->set_name(it.key());
    l->set_value(it.value().get<std::string>());
  }
}

void BindText(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void BindValue(sqlite3_stmt* st, int i, double v) {
  if (codec::IsStaleNaN(v))
    sqlite3_bind_null(st, i);
  else if (std::isnan(v))
    sqlite3_bind_text(st, i, "NaN", 3, SQLITE_STATIC);
  else
    sqlite3_bind_double(st, i, v);
}

double ColumnValue(sqlite3_stmt* st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
      return codec::StaleNaN();
    case SQLITE_TEXT:
      return std::nan("");
    default:
      return sqlite3_column_double(st, i);
  }
}

std::string ColumnText(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

// The inverse of Labels::ToExposition: name{a="1",b="2"} with \\, \" and \n escaped in
// values. nullopt for text ToExposition cannot have written.
std::optional<labels::Labels> ParseExposition(std::string_view text) {
  std::vector<labels::Label> out;
  size_t brace = text.find('{');
  std::string_view name = text.substr(0, brace);
  if (!name.empty()) out.push_back({std::string(labels::kMetricName), std::string(name)});
  if (brace == std::string_view::npos) return labels::Labels(std::move(out));
  if (text.back() != '}') return std::nullopt;
  size_t pos = brace + 1, end = text.size() - 1;
  while (pos < end) {
    size_t eq = text.find("=\"", pos);
    if (eq == std::string_view::npos || eq >= end) return std::nullopt;
    labels::Label l{std::string(text.substr(pos, eq - pos)), ""};
    for (pos = eq + 2; pos < end && text[pos] != '"'; ++pos) {
      if (text[pos] != '\\') {
        l.value.push_back(text[pos]);
        continue;
      }
      if (++pos >= end) return std::nullopt;
      l.value.push_back(text[pos] == 'n' ? '\n' : text[pos]);
    }
    if (pos >= end) return std::nullopt;  // unterminated value
    out.push_back(std::move(l));
    ++pos;  // closing quote
    if (pos < end && text[pos++] != ',') return std::nullopt;
  }
  return labels::Labels(std::move(out));
}

// Finalizes a statement prepared for one query.
struct StmtCloser {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  std::unique_ptr<Store> store(new Store());
  if (auto s = store->Init(path); !s.ok()) return s;
  return store;
}

Store::~Store() {
  for (sqlite3_stmt* st :
       {insert_series_, find_series_, insert_sample_, insert_alert_, insert_notification_,
        list_series_after_, read_series_samples_}) {
    sqlite3_finalize(st);
  }
  sqlite3_close(db_);
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

absl::StatusOr<sqlite3_stmt*> Store::Prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) {
    return Error(StrCat("preparing \"", sql, "\""));
  }
  return st;
}

absl::StatusOr<int64_t> Store::CountRows(const char* table) {
  auto st = Prepare(StrCat("SELECT COUNT(*) FROM ", table).c_str());
  if (!st.ok()) return st.status();
  Stmt stmt(*st);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return Error("counting rows");
  return sqlite3_column_int64(stmt.get(), 0);
}

absl::Status Store::Resync() {
  series_ids_.clear();
  for (auto [table, count] : {std::pair{"series", &series_count_},
                              {"samples", &sample_count_},
                              {"alert_events", &alert_event_count_},
                              {"notifications", &notification_count_}}) {
    auto n = CountRows(table);
    if (!n.ok()) return n.status();
    *count = *n;
  }
  return absl::OkStatus();
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
  struct {
    sqlite3_stmt** st;
    const char* sql;
  } statements[] = {
      {&insert_series_, "INSERT INTO series(name, labels) VALUES(?, ?)"},
      {&find_series_, "SELECT id FROM series WHERE labels = ?"},
      {&insert_sample_, "INSERT OR IGNORE INTO samples(series_id, t_ms, value) VALUES(?, ?, ?)"},
      {&insert_alert_,
       "INSERT OR IGNORE INTO alert_events(fingerprint, alertname, state, event_time_ms, "
       "received_at_ms, labels_json, annotations_json, value, active_at_ms, fired_at_ms, "
       "resolved_at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&insert_notification_,
       "INSERT OR IGNORE INTO notifications(receiver, group_key, status, fingerprints_json, "
       "sent_at_ms, delivered, attempts, last_error, received_at_ms) "
       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&list_series_after_, "SELECT id, labels FROM series WHERE id > ? ORDER BY id LIMIT ?"},
      {&read_series_samples_,
       "SELECT t_ms, value FROM samples WHERE series_id = ? AND t_ms BETWEEN ? AND ? "
       "ORDER BY t_ms LIMIT ?"},
  };
  for (auto& s : statements) {
    auto st = Prepare(s.sql);
    if (!st.ok()) return st.status();
    *s.st = *st;
  }
  return Resync();
}

Store::Transaction::Transaction(Store& store) : store_(store) {
  status_ = store_.Exec("BEGIN");
  open_ = status_.ok();
}

Store::Transaction::~Transaction() {
  if (!open_) return;
  store_.Exec("ROLLBACK").IgnoreError();
  store_.Resync().IgnoreError();
}

absl::Status Store::Transaction::Commit() {
  if (!open_) return status_;
  status_ = store_.Exec("COMMIT");
  if (status_.ok()) open_ = false;
  return status_;
}

absl::StatusOr<int64_t> Store::SeriesId(const labels::Labels& series) {
  std::string key = series.ToExposition();
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;

  sqlite3_reset(find_series_);
  BindText(find_series_, 1, key);
  int rc = sqlite3_step(find_series_);
  int64_t id;
  if (rc == SQLITE_ROW) {
    id = sqlite3_column_int64(find_series_, 0);
  } else if (rc == SQLITE_DONE) {
    sqlite3_reset(insert_series_);
    BindText(insert_series_, 1, series.Get(labels::kMetricName));
    BindText(insert_series_, 2, key);
    if (sqlite3_step(insert_series_) != SQLITE_DONE) return Error("inserting a series");
    id = sqlite3_last_insert_rowid(db_);
    ++series_count_;
  } else {
    return Error("looking up a series");
  }
  sqlite3_reset(find_series_);
  series_ids_.emplace(std::move(key), id);
  return id;
}

absl::StatusOr<bool> Store::AddSample(int64_t series_id, TimestampMs t_ms, double value) {
  sqlite3_reset(insert_sample_);
  sqlite3_bind_int64(insert_sample_, 1, series_id);
  sqlite3_bind_int64(insert_sample_, 2, t_ms);
  BindValue(insert_sample_, 3, value);
  if (sqlite3_step(insert_sample_) != SQLITE_DONE) return Error("inserting a sample");
  bool inserted = sqlite3_changes(db_) > 0;
  sample_count_ += inserted;
  return inserted;
}

absl::StatusOr<bool> Store::AddAlertEvent(const v1::AlertEvent& e, TimestampMs received_at_ms) {
  std::string alertname;
  for (const v1::Label& l : e.labels()) {
    if (l.name() == labels::kAlertName) alertname = l.value();
  }
  sqlite3_stmt* st = insert_alert_;
  sqlite3_reset(st);
  BindText(st, 1, e.fingerprint());
  BindText(st, 2, alertname);
  BindText(st, 3, StateName(e.state()));
  sqlite3_bind_int64(st, 4, e.event_time_ms());
  sqlite3_bind_int64(st, 5, received_at_ms);
  BindText(st, 6, LabelsJson(e.labels()));
  BindText(st, 7, LabelsJson(e.annotations()));
  BindValue(st, 8, e.value());
  sqlite3_bind_int64(st, 9, e.active_at_ms());
  sqlite3_bind_int64(st, 10, e.fired_at_ms());
  sqlite3_bind_int64(st, 11, e.resolved_at_ms());
  if (sqlite3_step(st) != SQLITE_DONE) return Error("inserting an alert event");
  bool inserted = sqlite3_changes(db_) > 0;
  alert_event_count_ += inserted;
  return inserted;
}

absl::StatusOr<bool> Store::AddNotification(const v1::Notification& n, TimestampMs received_at_ms) {
  nlohmann::json fingerprints = nlohmann::json::array();
  for (const std::string& f : n.fingerprints()) fingerprints.push_back(f);
  sqlite3_stmt* st = insert_notification_;
  sqlite3_reset(st);
  BindText(st, 1, n.receiver());
  BindText(st, 2, n.group_key());
  BindText(st, 3, n.status());
  BindText(st, 4, fingerprints.dump());
  sqlite3_bind_int64(st, 5, n.sent_at_ms());
  sqlite3_bind_int(st, 6, n.delivered() ? 1 : 0);
  sqlite3_bind_int64(st, 7, n.attempts());
  BindText(st, 8, n.last_error());
  sqlite3_bind_int64(st, 9, received_at_ms);
  if (sqlite3_step(st) != SQLITE_DONE) return Error("inserting a notification");
  bool inserted = sqlite3_changes(db_) > 0;
  notification_count_ += inserted;
  return inserted;
}

absl::StatusOr<std::vector<Store::SeriesRow>> Store::ListSeries() {
  auto st = Prepare("SELECT id, name, labels FROM series ORDER BY id");
  if (!st.ok()) return st.status();
  Stmt stmt(*st);
  std::vector<SeriesRow> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(stmt.get(), 0), ColumnText(stmt.get(), 1),
                   ColumnText(stmt.get(), 2)});
  }
  if (rc != SQLITE_DONE) return Error("listing series");
  return out;
}

absl::StatusOr<std::vector<Store::SampleRow>> Store::ReadSamples(const labels::Labels& series,
                                                                 TimestampMs from_ms,
                                                                 TimestampMs to_ms) {
  auto st = Prepare(
      "SELECT s.t_ms, s.value FROM samples s JOIN series r ON s.series_id = r.id "
      "WHERE r.labels = ? AND s.t_ms BETWEEN ? AND ? ORDER BY s.t_ms");
  if (!st.ok()) return st.status();
  Stmt stmt(*st);
  BindText(stmt.get(), 1, series.ToExposition());
  sqlite3_bind_int64(stmt.get(), 2, from_ms);
  sqlite3_bind_int64(stmt.get(), 3, to_ms);
  std::vector<SampleRow> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(stmt.get(), 0), ColumnValue(stmt.get(), 1)});
  }
  if (rc != SQLITE_DONE) return Error("reading samples");
  return out;
}

absl::StatusOr<std::vector<Store::StoredSeries>> Store::ListSeriesAfter(int64_t after_id,
                                                                       size_t limit) {
  sqlite3_stmt* st = list_series_after_;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, after_id);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(limit));
  std::vector<StoredSeries> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    std::string text = ColumnText(st, 1);
    std::optional<labels::Labels> ls = ParseExposition(text);
    if (!ls) {
      sqlite3_reset(st);
      return absl::DataLossError(StrCat(path_, ": series ", id, " has unreadable labels ", text));
    }
    out.push_back({id, *std::move(ls)});
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return Error("listing series");
  return out;
}

absl::StatusOr<std::vector<Store::SampleRow>> Store::ReadSeriesSamples(int64_t series_id,
                                                                       TimestampMs from_ms,
                                                                       TimestampMs to_ms,
                                                                       size_t limit) {
  sqlite3_stmt* st = read_series_samples_;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, series_id);
  sqlite3_bind_int64(st, 2, from_ms);
  sqlite3_bind_int64(st, 3, to_ms);
  sqlite3_bind_int64(st, 4, static_cast<int64_t>(limit));
  std::vector<SampleRow> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(st, 0), ColumnValue(st, 1)});
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return Error("reading samples");
  return out;
}

absl::StatusOr<std::vector<v1::StoredAlertEvent>> Store::ListAlertEvents(std::string_view alertname,
                                                                         uint32_t limit) {
  auto st = Prepare(
      "SELECT fingerprint, alertname, state, event_time_ms, received_at_ms, labels_json, "
      "annotations_json, value FROM alert_events WHERE (?1 = '' OR alertname = ?1) "
      "ORDER BY event_time_ms DESC, id DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  Stmt stmt(*st);
  BindText(stmt.get(), 1, alertname);
  sqlite3_bind_int64(stmt.get(), 2, limit == 0 ? -1 : static_cast<int64_t>(limit));
  std::vector<v1::StoredAlertEvent> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    v1::StoredAlertEvent& e = out.emplace_back();
    e.set_fingerprint(ColumnText(stmt.get(), 0));
    e.set_alertname(ColumnText(stmt.get(), 1));
    e.set_state(ColumnText(stmt.get(), 2));
    e.set_event_time_ms(sqlite3_column_int64(stmt.get(), 3));
    e.set_received_at_ms(sqlite3_column_int64(stmt.get(), 4));
    JsonToLabels(sqlite3_column_text(stmt.get(), 5), e.mutable_labels());
    JsonToLabels(sqlite3_column_text(stmt.get(), 6), e.mutable_annotations());
    e.set_value(ColumnValue(stmt.get(), 7));
  }
  if (rc != SQLITE_DONE) return Error("listing alert events");
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace vigil::reporter
