#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/matcher.h"
#include "services/reporter/store.h"
#include "vigil/v1/control.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::reporter {

// Answers one Reporter.ReadSamples request (the evaluator's backfill) in steps. Each
// step reads a bounded amount from the Store, so the loop thread that owns the Store
// can be lent to it one step at a time between bus messages, however large the answer.
//
// Batches hold at most `max_series_per_batch` series (0: 1000) and kMaxSamplesPerBatch
// samples: ~18 bytes a sample, so ~360 KB a batch, well under gRPC's default 4 MiB
// limit, and ~15 ms of SQLite per step (measured: 600k samples of 2000 series read in
// 0.2 s, 31 steps). A series with more samples than that continues, oldest first, in
// the next batch: a client merges runs of the same labels.
//
// Threading: Create() on any thread; Next() on the Store's thread only.
class SampleReader {
 public:
  static constexpr size_t kDefaultSeriesPerBatch = 1000;
  static constexpr size_t kMaxSamplesPerBatch = 20000;
  // Series rows a step lists (and matches) at most before it returns what it has.
  static constexpr size_t kMaxSeriesScannedPerStep = 10000;

  // InvalidArgument for a bad matcher (e.g. an invalid regex) or start_ms > end_ms.
  // `max_samples_per_batch` is for tests.
  static absl::StatusOr<SampleReader> Create(const v1::ReadSamplesRequest& req,
                                             size_t max_samples_per_batch = kMaxSamplesPerBatch);

  // The next batch; it may be empty (a step that only scanned non-matching series).
  // After the last one, done() is true.
  absl::StatusOr<v1::SampleBatch> Next(Store& store);
  bool done() const { return done_; }

 private:
  SampleReader() = default;
  bool Selected(const labels::Labels& ls) const;

  std::vector<std::vector<labels::Matcher>> selectors_;  // empty: every series
  TimestampMs start_ms_ = 0;
  TimestampMs end_ms_ = 0;
  size_t series_per_batch_ = kDefaultSeriesPerBatch;
  size_t samples_per_batch_ = kMaxSamplesPerBatch;

  int64_t after_id_ = 0;                      // the series table is scanned by id
  std::deque<Store::StoredSeries> selected_;  // listed and matched, not read yet
  TimestampMs resume_ms_ = 0;                 // where selected_.front() continues
  bool listed_all_ = false;
  bool done_ = false;
};

// The proto's matcher types, as lib/labels matchers (InvalidArgument on a bad regex).
absl::StatusOr<std::vector<labels::Matcher>> MatchersFromProto(const v1::Selector& selector);

}  // namespace vigil::reporter
