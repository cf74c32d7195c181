#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"
#include "lib/tsdb/mem_series.h"

namespace vigil::tsdb {

// The evaluator's in-memory window of recent samples (Prometheus's head block, without
// the WAL): series keyed by label set, samples appended in time order into compressed
// chunks of 120 samples (see MemSeries), everything older than the retention hidden and
// then freed by Truncate(). Readers decode what they select (MemSeries::Decode).
// Single-threaded.
class Head {
 public:
  // `index_key` replaces the hash of label sets the index uses; tests pass a constant to
  // make every series collide.
  using IndexKeyFn = uint64_t (*)(const labels::Labels&);
  // `max_changes` bounds the log remembered selections catch up from (see SelectSorted);
  // tests make it small.
  static constexpr size_t kMaxChanges = 1 << 16;
  explicit Head(IndexKeyFn index_key = nullptr, ValueCodings codings = ValueCodings::kXorOrDecimal,
                size_t max_changes = kMaxChanges);
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;
  Head(Head&&) = default;
  Head& operator=(Head&&) = default;

  // Appends a sample. Out-of-order or duplicate timestamps are rejected (false), as
  // Prometheus's head rejects them.
  bool Append(const labels::Labels& series, TimestampMs t, double v);

  // Adds `points` (oldest first) older than the series' oldest visible sample, e.g. history
  // read back from the reporter for a series the head held only the newest samples of.
  // A series not in the head is created with all of them. Points out of order, or not
  // older than what the series holds, are left out. Returns how many were added. A series
  // that gains samples is re-encoded (its window states start over) and replaced, so
  // pointers from Select() are invalid afterwards.
  size_t InsertOlder(const labels::Labels& series, std::span<const Point> points);

  // Every series matching all matchers, in no particular order. The pointers stay valid
  // until the next Append or Truncate.
  std::vector<const MemSeries*> Select(const std::vector<labels::Matcher>& matchers) const;

  // What SelectSorted returns.
  struct Selection {
    std::vector<const MemSeries*> series;
    // The matchers' canonical text (labels::MatchersKey): names this selection.
    std::string_view key;
    // Unique in the process to this list of series: a selection gets a new version
    // whenever its series change, so equal versions mean the same series in the same
    // order (for callers that keep results per series across calls).
    uint64_t version = 0;
  };
  // Select(), sorted by labels, remembered: rules select the same series at every
  // evaluation and the set rarely changes in between. Series created or dropped since the
  // last call with the same matchers are applied to the remembered selection (matched,
  // merged in, taken out), so one new series costs a matcher check, not a scan and sort of
  // every series. The reference stays valid until the next Append, Truncate, InsertOlder
  // or SelectSorted.
  const Selection& SelectSorted(const std::vector<labels::Matcher>& matchers) const;

  // Hides samples older than `min_t` from readers (freeing every chunk that holds only
  // such samples) and drops series left empty.
  void Truncate(TimestampMs min_t);
  // Truncate(min_t), and for the series `short_retention` says yes to, also every sample
  // older than `short_min_t` (a later time) but the newest of those: readers of such a
  // series at `short_min_t` or later still find its newest sample as of then, as an
  // instant query with Prometheus's lookback does. (The evaluator keeps a window only of
  // what its rules read.) Calls `dropped` with each series about to be dropped (for caches
  // keyed by series that should forget it).
  void Truncate(TimestampMs min_t, TimestampMs short_min_t,
                absl::FunctionRef<bool(const MemSeries&)> short_retention,
                absl::FunctionRef<void(const MemSeries&)> dropped);

  // Changes whenever what a reader may see changes: a sample appended or inserted, a
  // truncation; never 0. Readers that keep what they computed from the head
  // (promql::WindowMemo) hold it only while this stays the same: series are freed only
  // by changes that move it.
  uint64_t generation() const { return generation_; }
  size_t num_series() const { return num_series_; }
  // Visible samples.
  size_t num_samples() const { return num_samples_; }
  // An estimate of the heap the head holds: chunks, label sets, series objects and the
  // index, with malloc's per-allocation overhead. O(series): meant for metrics.
  size_t memory_bytes() const { return memory_parts().total(); }
  // The same, by part: the series' own (MemSeries::Bytes), the index, and the remembered
  // selections with the log of series changes they replay.
  struct Bytes {
    MemSeries::Bytes series;
    size_t index = 0;
    size_t selections = 0;
    size_t total() const { return series.total() + index + selections; }
    // fn(name, bytes) for each part, in a fixed order (the names label metrics).
    template <typename Fn>
    void ForEachPart(Fn fn) const {
      fn("series_objects", series.object);
      fn("labels", series.labels);
      fn("closed_chunks", series.closed_chunks);
      fn("open_chunks", series.open_chunk);
      fn("window_states", series.windows);
      fn("index", index);
      fn("selections", selections);
    }
  };
  Bytes memory_parts() const;

 private:
  // The index hashes a series by index_key_ and compares label sets, so it can be looked
  // up with a Labels and keeps no copy of them: a slot is the series' pointer.
  // The key is mixed (absl::HashOf, seeded per process) before the table takes its bits:
  // a plain string hash of the labels is public and unseeded, so label sets could be made
  // to crowd into a few slots.
  struct SeriesHash {
    using is_transparent = void;
    IndexKeyFn key;
    size_t operator()(const labels::Labels& l) const { return absl::HashOf(key(l)); }
    size_t operator()(const std::unique_ptr<MemSeries>& s) const {
      return absl::HashOf(key(s->labels()));
    }
  };
  struct SeriesEq {
    using is_transparent = void;
    static const labels::Labels& Of(const labels::Labels& l) { return l; }
    static const labels::Labels& Of(const std::unique_ptr<MemSeries>& s) { return s->labels(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Of(a) == Of(b);
    }
  };

  ValueCodings codings_;
  absl::flat_hash_set<std::unique_ptr<MemSeries>, SeriesHash, SeriesEq> series_;
  size_t num_series_ = 0;
  size_t num_samples_ = 0;
  uint64_t generation_ = 1;
  // Bumped whenever a series is created or dropped: selections made before are stale.
  uint64_t epoch_ = 0;
  // The creations and drops behind the last changes_.size() bumps of epoch_, oldest first
  // (a dropped series' pointer is only compared, never read). Bounded: once it holds
  // max_changes_, it starts over and older selections are made again from scratch.
  struct Change {
    const MemSeries* series;
    bool created;
  };
  size_t max_changes_;
  std::vector<Change> changes_;
  void NoteChange(const MemSeries* series, bool created);
  struct Remembered {
    uint64_t epoch = 0;
    Selection selection;
  };
  // Brings `r` from its epoch to epoch_ with changes_, if they reach back that far and
  // are few beside the selection; false when it must be made again. Sets *changed when
  // the selection's series changed.
  bool ApplyChanges(const std::vector<labels::Matcher>& matchers, Remembered& r,
                    bool* changed) const;
  // By the matchers' text; node-based, so a Selection's key view stays valid.
  mutable absl::node_hash_map<std::string, Remembered> selections_;
};

}  // namespace vigil::tsdb
