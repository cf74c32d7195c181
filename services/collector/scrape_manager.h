#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/promconfig/promconfig.h"
#include "services/collector/target.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::collector {

// A scrape the shell should perform now.
struct ScrapeRequest {
  std::string target_key;
  std::string url;
  absl::Duration timeout;
  uint64_t body_size_limit = 0;  // bytes, uncompressed; 0: none
  std::shared_ptr<const promconfig::HttpClientConfig> http;  // may be null
  // The timestamp of the scrape's samples (ScrapeTimestamp): pass it to OnScrapeDone.
  TimestampMs timestamp_ms = 0;
};

// What the shell got back. `error` is empty on success (HTTP 200 and a body).
// `content_type` is the answer's Content-Type; it chooses the parser as in Prometheus
// (OpenMetrics for application/openmetrics-text, the text format otherwise).
struct ScrapeResult {
  std::string body;
  std::string error;
  double duration_seconds = 0;
  std::string content_type;
};

// The collector's core (Prometheus scrape.Manager + scrapeLoop, without I/O): holds the
// targets, decides when each is due, and turns a scrape's outcome into the samples
// Prometheus would store: the scraped series with target labels, the synthetic `up`,
// `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`,
// `scrape_series_added`, and staleness markers for series that disappeared.
// Single-threaded; time comes in as arguments.
class ScrapeManager {
 public:
  // Align scrape timestamps to the schedule as Prometheus does (ScrapeTimestamp;
  // --scrape.adjust-timestamps, default true).
  void SetAdjustTimestamps(bool adjust) { adjust_timestamps_ = adjust; }

  // Scrape only the targets of `shard` from the next ApplyConfig on.
  void SetShard(Shard shard) { shard_ = shard; }
  const Shard& shard() const { return shard_; }
  // Targets the last ApplyConfig left to other shards.
  size_t other_shard_targets() const { return other_shard_targets_; }

  // Replaces the target set. Targets that stay keep their state and schedule; targets
  // that go away have their series marked stale in the returned batch (may be empty).
  v1::SampleBatch ApplyConfig(const promconfig::PrometheusConfig& cfg, TimestampMs now);

  // Targets due at `now` that have no scrape in flight; marks them in flight, stamps each
  // with its scrape's timestamp and schedules its next scrape on the target's grid.
  std::vector<ScrapeRequest> TakeDue(absl::Time now);
  std::vector<ScrapeRequest> TakeDue(TimestampMs now) { return TakeDue(FromMs(now)); }
  // Makes matching targets due at once (ScrapeNow); returns how many.
  int ScheduleNow(const std::string& job, const std::string& url, TimestampMs now);

  // Records the outcome of the scrape of `target_key` whose timestamp is `started`
  // (ScrapeRequest::timestamp_ms: its start, aligned to the schedule).
  // Returns the batch to publish, or nullptr if the target no longer exists. The batch is
  // the manager's and is reused: it is valid until the next call on this manager.
  const v1::SampleBatch* OnScrapeDone(const std::string& target_key, TimestampMs started,
                                      const ScrapeResult& result);

  // The earliest next scrape time, or nullopt with no targets.
  std::optional<TimestampMs> NextDeadline() const;

  const std::vector<Target>& targets() const { return targets_; }

 private:
  Target* Find(const std::string& key);

  std::vector<Target> targets_;
  v1::SampleBatch batch_;  // what OnScrapeDone returns, reused
  Shard shard_;
  size_t other_shard_targets_ = 0;
  bool adjust_timestamps_ = true;
};

}  // namespace vigil::collector
