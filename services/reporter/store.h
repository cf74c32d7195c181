#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/sqlite/database.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.pb.h"

namespace vigil::reporter {

// The reporter's durable record: every series, sample, alert event and notification it
// received, in one SQLite file (WAL mode, synchronous=NORMAL).
//
// Tables: series(id, name, labels UNIQUE) with labels in exposition form
// (`name{a="1",b="2"}`); samples(series_id, t_ms, value), one value per series and
// timestamp (the first one stored wins, so re-delivered batches are harmless);
// alert_events, one row per distinct alert state (fingerprint, state, active/fired/resolved
// times), so periodic re-publications of a firing alert are not stored again;
// notifications, one row per distinct delivery attempt.
//
// SQLite has no NaN: the staleness marker is stored as NULL and any other NaN as the text
// 'NaN'; both read back as they were written.
//
// Threading: not thread-safe. A Store is confined to the thread that opened it (the
// reporter's loop thread). Writes go in explicit transactions (Transaction below).
class Store {
 public:
  // Opens (creating if needed) the database file at `path`.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A write transaction: begun on construction, rolled back unless Commit() succeeded (a
  // rollback reads the in-memory caches and counts again from the file).
  class Transaction : private sqlite::Transaction {
   public:
    explicit Transaction(Store& store);
    ~Transaction();
    using sqlite::Transaction::Commit;
    using sqlite::Transaction::status;

   private:
    Store& store_;
  };

  // The id of the series, created on first use. Ids are cached in memory.
  absl::StatusOr<int64_t> SeriesId(const labels::Labels& series);
  // Stores one sample; false (and OK) when the series already has a value at `t_ms`.
  absl::StatusOr<bool> AddSample(int64_t series_id, TimestampMs t_ms, double value);
  // Stores an alert event received at `received_at_ms`; false (and OK) when the same
  // state of the same alert was stored before.
  absl::StatusOr<bool> AddAlertEvent(const v1::AlertEvent& event, TimestampMs received_at_ms);
  // Stores a notification; false (and OK) when stored before.
  absl::StatusOr<bool> AddNotification(const v1::Notification& n, TimestampMs received_at_ms);
  // Stores an acknowledgement; false (and OK) when one saying the same (time, who,
  // comment, alert or group) was stored before, from this notifier or an HA peer.
  absl::StatusOr<bool> AddAcknowledgement(const v1::Acknowledgement& ack,
                                          TimestampMs received_at_ms);
  // Newest first (the newest `limit`; 0: all), with the store's ids.
  absl::StatusOr<std::vector<v1::Acknowledgement>> ListAcknowledgements(uint32_t limit);

  struct SeriesRow {
    int64_t id;
    std::string name;
    std::string labels;  // exposition form
  };
  struct SampleRow {
    TimestampMs t_ms;
    double value;
  };
  absl::StatusOr<std::vector<SeriesRow>> ListSeries();
  // A page of the series table for scans that must not hold the loop thread long: up
  // to `limit` series with id > `after_id`, by id, with their labels parsed back from
  // the stored exposition form.
  struct StoredSeries {
    int64_t id;
    labels::Labels labels;
  };
  absl::StatusOr<std::vector<StoredSeries>> ListSeriesAfter(int64_t after_id, size_t limit);
  // Up to `limit` samples of the series with id `series_id` in [from_ms, to_ms], oldest
  // first (resume a long series from the last timestamp + 1).
  absl::StatusOr<std::vector<SampleRow>> ReadSeriesSamples(int64_t series_id, TimestampMs from_ms,
                                                           TimestampMs to_ms, size_t limit);
  // The samples of a series in [from_ms, to_ms], oldest first.
  absl::StatusOr<std::vector<SampleRow>> ReadSamples(const labels::Labels& series,
                                                     TimestampMs from_ms, TimestampMs to_ms);
  // Alert events, oldest first (the newest `limit` of them; 0: all), optionally of one
  // alertname only.
  absl::StatusOr<std::vector<v1::StoredAlertEvent>> ListAlertEvents(std::string_view alertname,
                                                                    uint32_t limit);

  // Row counts, kept in memory (counted once on open).
  int64_t series_count() const { return series_count_; }
  int64_t sample_count() const { return sample_count_; }
  int64_t alert_event_count() const { return alert_event_count_; }
  int64_t notification_count() const { return notification_count_; }
  int64_t acknowledgement_count() const { return acknowledgement_count_; }

 private:
  explicit Store(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  // Runs `sql`, a SELECT COUNT(*).
  absl::StatusOr<int64_t> CountRows(const char* sql);
  // After a rollback the in-memory caches may name rows that are gone.
  absl::Status Resync();
  // Runs an INSERT OR IGNORE; true when it stored a row, then counted in `count`.
  absl::StatusOr<bool> InsertCounted(sqlite3_stmt* st, std::string_view what, int64_t& count);

  std::unique_ptr<sqlite::Database> db_;
  absl::flat_hash_map<std::string, int64_t> series_ids_;  // key: exposition form
  int64_t series_count_ = 0;
  int64_t sample_count_ = 0;
  int64_t alert_event_count_ = 0;
  int64_t notification_count_ = 0;
  int64_t acknowledgement_count_ = 0;
};

}  // namespace vigil::reporter
