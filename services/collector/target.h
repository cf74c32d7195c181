#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/promconfig/promconfig.h"
#include "services/collector/scrape_cache.h"

namespace vigil::collector {

enum class Health { kUnknown, kUp, kDown };

// One scrape target and what the collector knows about it (Prometheus scrape.Target).
struct Target {
  std::string key;  // job + URL: identity across reloads
  std::string job;
  std::string url;
  std::string address;    // __address__ after relabelling: what --shard hashes
  labels::Labels labels;  // job, instance, static labels
  absl::Duration interval;
  absl::Duration timeout;
  bool honor_labels = false;
  bool honor_timestamps = true;
  // metric_relabel_configs of the target's scrape config (shared by its targets).
  std::shared_ptr<const std::vector<relabel::Config>> metric_relabel;
  // Limits of the scrape config (0: none): sample_limit, label_limit,
  // label_name_length_limit, label_value_length_limit, body_size_limit.
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t body_size_limit = 0;
  // basic_auth / authorization of the scrape config (shared by its targets).
  std::shared_ptr<const promconfig::HttpClientConfig> http;

  // The schedule, as Prometheus's scrape loop keeps it: the first scrape at
  // FirstScrapeTime, then a fixed grid of ticks `aligned_scrape_ms + k * interval` started
  // at the first scrape's time (Go's ticker), not "last start + interval", which drifts by
  // the loop's wake-up latency every scrape.
  TimestampMs next_scrape_ms = 0;
  // Prometheus's alignedScrapeTime: the first scrape's time, then the latest tick of the
  // grid that a scrape started at or after (see ScrapeTimestamp). Unset before the first
  // scrape.
  std::optional<TimestampMs> aligned_scrape_ms;
  bool in_flight = false;

  Health health = Health::kUnknown;
  std::string last_error;
  TimestampMs last_scrape_ms = 0;
  double last_duration_seconds = 0;
  uint64_t last_samples = 0;
  // The target's series across scrapes: staleness, scrape_series_added, the scrape cache.
  ScrapeCache cache;
};

// Expands a scrape config's static targets into targets as Prometheus's PopulateLabels
// does: the target's labels start as __address__, the group's labels, job,
// __scheme__, __metrics_path__, __scrape_interval__, __scrape_timeout__ and
// __param_<name> for each param; relabel_configs run on them (a target they drop is not
// scraped); then __meta_* labels go, `instance` defaults to __address__, the URL is built
// from __scheme__, __address__, __metrics_path__ and the params (a __param_<name> label
// overrides the first value of that param), interval and timeout come from their labels,
// and the target's series labels are those not starting with "__".
std::vector<Target> TargetsFromConfig(const promconfig::ScrapeConfig& sc);

// Which share of the targets a collector scrapes (--shard i/N): a target belongs to shard
// i iff the md5 hashmod of its address (as relabelling's hashmod computes it) mod N is i,
// so N collectors with shards 0/N .. N-1/N split any target set with no overlap and no gap.
struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;
  bool Owns(std::string_view address) const;
  std::string ToString() const;  // "i/N"
};

// Parses "i/N" with 0 <= i < N.
absl::StatusOr<Shard> ParseShard(std::string_view text);

// The first scrape time at or after `now` for a target: spread over the interval by a hash
// of the target, so that many targets do not scrape at the same instant.
TimestampMs FirstScrapeTime(const Target& t, TimestampMs now);

// Prometheus 2.42 aligns a scrape's timestamp to its schedule (scrapeLoop.run,
// --scrape.adjust-timestamps, prometheus/prometheus#7846, #7976), so that samples are
// exactly an interval apart and their timestamps compress to ~1 bit in XOR chunks.
constexpr absl::Duration kScrapeTimestampTolerance = absl::Milliseconds(2);

// The timestamp of a scrape of a target with `interval` that starts at `now`, where
// `*aligned` is the target's aligned_scrape_ms (already set: the first scrape's time).
// With `adjust` and an interval above 100 * kScrapeTimestampTolerance (200 ms), as in
// Prometheus 2.42: `*aligned` moves forward by whole intervals while `now` is an interval
// or more past it (ticks may have been skipped), and a scrape that starts at most 2 ms
// after it gets its time; any other scrape gets `now`, in milliseconds (truncated, as
// Prometheus's timestamp.FromTime).
TimestampMs ScrapeTimestamp(absl::Time now, absl::Duration interval, bool adjust,
                            TimestampMs* aligned);

// The first tick of the grid `origin + k * interval` after `now` (Go's ticker drops the
// ticks a slow receiver missed). `interval` must be positive.
TimestampMs NextTick(TimestampMs origin, int64_t interval_ms, TimestampMs now);

}  // namespace vigil::collector
