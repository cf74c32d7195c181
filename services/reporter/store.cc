#include "services/reporter/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/sqlite/database.h"

namespace vigil::reporter {
namespace {

using sqlite::BindText;
using sqlite::ColumnText;

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
CREATE TABLE IF NOT EXISTS acknowledgements(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  group_key TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  who TEXT NOT NULL,
  comment TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  UNIQUE(at_ms, who, comment, fingerprint, group_key));
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

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  auto db = sqlite::Database::Open(path, sqlite::kWalPragmas);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store(*std::move(db)));
  if (auto s = store->db_->Exec(kSchema); !s.ok()) return s;
  if (auto s = store->Resync(); !s.ok()) return s;
  return store;
}

absl::StatusOr<int64_t> Store::CountRows(const char* sql) {
  auto st = db_->Stmt(sql);
  if (!st.ok()) return st.status();
  int64_t n = 0;
  absl::Status read =
      db_->ForEachRow(*st, "counting rows", [&] { n = sqlite3_column_int64(*st, 0); });
  if (!read.ok()) return read;
  return n;
}

absl::Status Store::Resync() {
  series_ids_.clear();
  for (auto [sql, count] : {std::pair{"SELECT COUNT(*) FROM series", &series_count_},
                            {"SELECT COUNT(*) FROM samples", &sample_count_},
                            {"SELECT COUNT(*) FROM alert_events", &alert_event_count_},
                            {"SELECT COUNT(*) FROM notifications", &notification_count_},
                            {"SELECT COUNT(*) FROM acknowledgements", &acknowledgement_count_}}) {
    auto n = CountRows(sql);
    if (!n.ok()) return n.status();
    *count = *n;
  }
  return absl::OkStatus();
}

Store::Transaction::Transaction(Store& store)
    : sqlite::Transaction(store.db_.get()), store_(store) {}

Store::Transaction::~Transaction() {
  if (!open()) return;
  Rollback();
  store_.Resync().IgnoreError();
}

absl::StatusOr<int64_t> Store::SeriesId(const labels::Labels& series) {
  std::string key = series.ToExposition();
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;

  auto find = db_->Stmt("SELECT id FROM series WHERE labels = ?");
  if (!find.ok()) return find.status();
  BindText(*find, 1, key);
  std::optional<int64_t> id;
  absl::Status found =
      db_->ForEachRow(*find, "looking up a series", [&] { id = sqlite3_column_int64(*find, 0); });
  if (!found.ok()) return found;
  if (!id) {
    auto insert = db_->Stmt("INSERT INTO series(name, labels) VALUES(?, ?)");
    if (!insert.ok()) return insert.status();
    BindText(*insert, 1, series.Get(labels::kMetricName));
    BindText(*insert, 2, key);
    if (auto s = db_->Run(*insert, "inserting a series"); !s.ok()) return s;
    id = db_->LastInsertRowid();
    ++series_count_;
  }
  series_ids_.emplace(std::move(key), *id);
  return *id;
}

absl::StatusOr<bool> Store::InsertCounted(sqlite3_stmt* st, std::string_view what, int64_t& count) {
  if (auto s = db_->Run(st, what); !s.ok()) return s;
  const bool inserted = db_->Changes() > 0;
  count += inserted;
  return inserted;
}

absl::StatusOr<bool> Store::AddSample(int64_t series_id, TimestampMs t_ms, double value) {
  auto st = db_->Stmt("INSERT OR IGNORE INTO samples(series_id, t_ms, value) VALUES(?, ?, ?)");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, series_id);
  sqlite3_bind_int64(*st, 2, t_ms);
  BindValue(*st, 3, value);
  return InsertCounted(*st, "inserting a sample", sample_count_);
}

absl::StatusOr<bool> Store::AddAlertEvent(const v1::AlertEvent& e, TimestampMs received_at_ms) {
  std::string alertname;
  for (const v1::Label& l : e.labels()) {
    if (l.name() == labels::kAlertName) alertname = l.value();
  }
  auto st = db_->Stmt(
      "INSERT OR IGNORE INTO alert_events(fingerprint, alertname, state, event_time_ms, "
      "received_at_ms, labels_json, annotations_json, value, active_at_ms, fired_at_ms, "
      "resolved_at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  BindText(*st, 1, e.fingerprint());
  BindText(*st, 2, alertname);
  BindText(*st, 3, StateName(e.state()));
  sqlite3_bind_int64(*st, 4, e.event_time_ms());
  sqlite3_bind_int64(*st, 5, received_at_ms);
  BindText(*st, 6, LabelsJson(e.labels()));
  BindText(*st, 7, LabelsJson(e.annotations()));
  BindValue(*st, 8, e.value());
  sqlite3_bind_int64(*st, 9, e.active_at_ms());
  sqlite3_bind_int64(*st, 10, e.fired_at_ms());
  sqlite3_bind_int64(*st, 11, e.resolved_at_ms());
  return InsertCounted(*st, "inserting an alert event", alert_event_count_);
}

absl::StatusOr<bool> Store::AddNotification(const v1::Notification& n, TimestampMs received_at_ms) {
  nlohmann::json fingerprints = nlohmann::json::array();
  for (const std::string& f : n.fingerprints()) fingerprints.push_back(f);
  auto st = db_->Stmt(
      "INSERT OR IGNORE INTO notifications(receiver, group_key, status, fingerprints_json, "
      "sent_at_ms, delivered, attempts, last_error, received_at_ms) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  BindText(*st, 1, n.receiver());
  BindText(*st, 2, n.group_key());
  BindText(*st, 3, n.status());
  BindText(*st, 4, fingerprints.dump());
  sqlite3_bind_int64(*st, 5, n.sent_at_ms());
  sqlite3_bind_int(*st, 6, n.delivered() ? 1 : 0);
  sqlite3_bind_int64(*st, 7, n.attempts());
  BindText(*st, 8, n.last_error());
  sqlite3_bind_int64(*st, 9, received_at_ms);
  return InsertCounted(*st, "inserting a notification", notification_count_);
}

absl::StatusOr<bool> Store::AddAcknowledgement(const v1::Acknowledgement& ack,
                                               TimestampMs received_at_ms) {
  auto st = db_->Stmt(
      "INSERT OR IGNORE INTO acknowledgements(fingerprint, group_key, labels_json, who, "
      "comment, at_ms, received_at_ms) VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  BindText(*st, 1, ack.fingerprint());
  BindText(*st, 2, ack.group_key());
  BindText(*st, 3, LabelsJson(ack.labels()));
  BindText(*st, 4, ack.who());
  BindText(*st, 5, ack.comment());
  sqlite3_bind_int64(*st, 6, ack.at_ms());
  sqlite3_bind_int64(*st, 7, received_at_ms);
  return InsertCounted(*st, "inserting an acknowledgement", acknowledgement_count_);
}

absl::StatusOr<std::vector<v1::Acknowledgement>> Store::ListAcknowledgements(uint32_t limit) {
  auto st = db_->Stmt(
      "SELECT id, fingerprint, group_key, labels_json, who, comment, at_ms "
      "FROM acknowledgements ORDER BY at_ms DESC, id DESC LIMIT ?1");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, limit == 0 ? -1 : static_cast<int64_t>(limit));
  std::vector<v1::Acknowledgement> out;
  absl::Status read = db_->ForEachRow(*st, "listing acknowledgements", [&] {
    v1::Acknowledgement& a = out.emplace_back();
    a.set_id(sqlite3_column_int64(*st, 0));
    a.set_fingerprint(ColumnText(*st, 1));
    a.set_group_key(ColumnText(*st, 2));
    JsonToLabels(sqlite3_column_text(*st, 3), a.mutable_labels());
    a.set_who(ColumnText(*st, 4));
    a.set_comment(ColumnText(*st, 5));
    a.set_at_ms(sqlite3_column_int64(*st, 6));
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<Store::SeriesRow>> Store::ListSeries() {
  auto st = db_->Stmt("SELECT id, name, labels FROM series ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<SeriesRow> out;
  absl::Status read = db_->ForEachRow(*st, "listing series", [&] {
    out.push_back({sqlite3_column_int64(*st, 0), ColumnText(*st, 1), ColumnText(*st, 2)});
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<Store::SampleRow>> Store::ReadSamples(const labels::Labels& series,
                                                                 TimestampMs from_ms,
                                                                 TimestampMs to_ms) {
  auto st = db_->Stmt(
      "SELECT s.t_ms, s.value FROM samples s JOIN series r ON s.series_id = r.id "
      "WHERE r.labels = ? AND s.t_ms BETWEEN ? AND ? ORDER BY s.t_ms");
  if (!st.ok()) return st.status();
  BindText(*st, 1, series.ToExposition());
  sqlite3_bind_int64(*st, 2, from_ms);
  sqlite3_bind_int64(*st, 3, to_ms);
  std::vector<SampleRow> out;
  absl::Status read = db_->ForEachRow(*st, "reading samples", [&] {
    out.push_back({sqlite3_column_int64(*st, 0), ColumnValue(*st, 1)});
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<Store::StoredSeries>> Store::ListSeriesAfter(int64_t after_id,
                                                                        size_t limit) {
  auto st = db_->Stmt("SELECT id, labels FROM series WHERE id > ? ORDER BY id LIMIT ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, after_id);
  sqlite3_bind_int64(*st, 2, static_cast<int64_t>(limit));
  std::vector<StoredSeries> out;
  absl::Status unreadable;  // the first series whose labels do not parse
  absl::Status read = db_->ForEachRow(*st, "listing series", [&] {
    if (!unreadable.ok()) return;
    int64_t id = sqlite3_column_int64(*st, 0);
    std::string text = ColumnText(*st, 1);
    std::optional<labels::Labels> ls = ParseExposition(text);
    if (!ls) {
      unreadable = absl::DataLossError(
          StrCat(db_->path(), ": series ", id, " has unreadable labels ", text));
      return;
    }
    out.push_back({id, *std::move(ls)});
  });
  if (!unreadable.ok()) return unreadable;
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<Store::SampleRow>> Store::ReadSeriesSamples(int64_t series_id,
                                                                       TimestampMs from_ms,
                                                                       TimestampMs to_ms,
                                                                       size_t limit) {
  auto st = db_->Stmt(
      "SELECT t_ms, value FROM samples WHERE series_id = ? AND t_ms BETWEEN ? AND ? "
      "ORDER BY t_ms LIMIT ?");
  if (!st.ok()) return st.status();
  sqlite3_bind_int64(*st, 1, series_id);
  sqlite3_bind_int64(*st, 2, from_ms);
  sqlite3_bind_int64(*st, 3, to_ms);
  sqlite3_bind_int64(*st, 4, static_cast<int64_t>(limit));
  std::vector<SampleRow> out;
  absl::Status read = db_->ForEachRow(*st, "reading samples", [&] {
    out.push_back({sqlite3_column_int64(*st, 0), ColumnValue(*st, 1)});
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<v1::StoredAlertEvent>> Store::ListAlertEvents(std::string_view alertname,
                                                                         uint32_t limit) {
  auto st = db_->Stmt(
      "SELECT fingerprint, alertname, state, event_time_ms, received_at_ms, labels_json, "
      "annotations_json, value FROM alert_events WHERE (?1 = '' OR alertname = ?1) "
      "ORDER BY event_time_ms DESC, id DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  BindText(*st, 1, alertname);
  sqlite3_bind_int64(*st, 2, limit == 0 ? -1 : static_cast<int64_t>(limit));
  std::vector<v1::StoredAlertEvent> out;
  absl::Status read = db_->ForEachRow(*st, "listing alert events", [&] {
    v1::StoredAlertEvent& e = out.emplace_back();
    e.set_fingerprint(ColumnText(*st, 0));
    e.set_alertname(ColumnText(*st, 1));
    e.set_state(ColumnText(*st, 2));
    e.set_event_time_ms(sqlite3_column_int64(*st, 3));
    e.set_received_at_ms(sqlite3_column_int64(*st, 4));
    JsonToLabels(sqlite3_column_text(*st, 5), e.mutable_labels());
    JsonToLabels(sqlite3_column_text(*st, 6), e.mutable_annotations());
    e.set_value(ColumnValue(*st, 7));
  });
  if (!read.ok()) return read;
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace vigil::reporter
