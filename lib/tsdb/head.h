#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"

namespace vigil::tsdb {

struct Point {
  TimestampMs t;
  double v;  // may be the staleness marker (codec::StaleNaN)
};

// One series' recent samples, in timestamp order.
struct MemSeries {
  labels::Labels labels;
  std::vector<Point> points;
};

// The evaluator's in-memory window of recent samples (Prometheus's head block, without
// the WAL): series keyed by label set, samples appended in time order, everything older
// than the retention dropped by Truncate(). This first version stores plain points; the
// compressed chunk encoding (delta-of-delta timestamps, XOR values) replaces the vector
// behind the same interface. Single-threaded.
class Head {
 public:
  // Appends a sample. Out-of-order or duplicate timestamps are rejected (false), as
  // Prometheus's head rejects them.
  bool Append(const labels::Labels& series, TimestampMs t, double v);

  // Every series matching all matchers.
  std::vector<const MemSeries*> Select(const std::vector<labels::Matcher>& matchers) const;

  // Drops samples older than `min_t` and series left empty.
  void Truncate(TimestampMs min_t);

  size_t num_series() const { return series_.size(); }
  size_t num_samples() const { return num_samples_; }

 private:
  absl::flat_hash_map<uint64_t, std::vector<std::unique_ptr<MemSeries>>> series_;
  size_t num_samples_ = 0;
};

}  // namespace vigil::tsdb
