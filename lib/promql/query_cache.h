#pragma once

// What the queries of rule evaluations keep for the next ones. A rule group asks the same
// questions of the same series at every evaluation, and many of its rules ask the same
// ones within an evaluation (`rate(http_requests_total[1m])` under twenty aggregations):
//   GroupingCache  which group of an aggregation each series falls in, across evaluations;
//   WindowMemo     a window function's value per series at one time, within an evaluation.
// Both are owned by whoever runs the queries (the evaluator, one of each) and handed to
// the engine in QueryOptions; both give exactly the answers the engine gives without them.
// Not thread-safe.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"
#include "lib/promql/engine.h"

namespace vigil::promql {

// `sum by (service) (rate(x[1m]))` finds the group of every series of x at each
// evaluation, and the answer depends only on the series' labels, which a selection's
// version pins (SelectionId). Kept per (selection, grouping), for the aggregations the
// engine fuses with a window function. A selection's new version starts its series over
// and keeps its groups (a group's labels depend only on its key); the entries of queries
// no longer run stay until Clear() (a reload) or until there are kMaxEntries, when all go.
class GroupingCache {
 public:
  static constexpr size_t kMaxEntries = 4096;

  // One grouping's groups over one selection, numbered by slot in the order first seen.
  class Groups {
   public:
    // The slot of the group series `index` of the selection falls in (`series` its labels).
    uint32_t SlotOf(size_t index, const labels::Labels& series);
    const labels::Labels& labels(uint32_t slot) const { return group_labels_[slot]; }
    size_t num_slots() const { return group_labels_.size(); }

   private:
    friend class GroupingCache;
    static constexpr uint32_t kUnknown = std::numeric_limits<uint32_t>::max();
    bool without_ = false;
    std::vector<std::string> names_;
    uint64_t version_ = 0;
    std::vector<uint32_t> slot_of_series_;  // by index in the selection; kUnknown: not seen
    std::unordered_map<std::string, uint32_t> slot_of_key_;  // by the group's key
    std::vector<labels::Labels> group_labels_;               // by slot
  };

  // The groups of `by (names)` (`without (names)`) over the selection `sel`.
  Groups& Lookup(const SelectionId& sel, bool without, const std::vector<std::string>& names);

  void Clear() { entries_.clear(); }
  size_t num_entries() const { return entries_.size(); }
  // Heap bytes held, roughly (hash tables' buckets left out; for a gauge).
  size_t memory_bytes() const;

 private:
  std::unordered_map<std::string, Groups> entries_;
};

// The values a window function (rate, increase, ... as the engine computes them from
// window summaries) gave the series of a selection at one time, for the next query of
// the same call: one pass over the series instead of one per rule. An entry holds while
// the storage's generation stays what it was, or changes only by appends this memo is told
// of (Appended) to series outside the entry's selection: an evaluation's recording rules
// append their output between the rules that read the memo. Anything else (a scrape, a
// truncation, an append it was not told of) empties it at the next lookup.
class WindowMemo {
 public:
  // Values kept at most, over all entries (16 bytes each): past it, nothing more is kept.
  static constexpr size_t kMaxValues = size_t{1} << 22;
  // One call's values, by index in the selection; null labels: no value for that series.
  struct Values {
    uint64_t version = 0;  // the selection's
    std::vector<labels::Matcher> matchers;
    std::vector<const labels::Labels*> labels;
    std::vector<double> values;
    int64_t samples = 0;  // the samples the call read, for the engine's sample limit
  };

  // A sample was appended to `series`, moving the storage's generation from
  // `generation_before` on by one: entries whose selection may hold `series` go.
  void Appended(const labels::Labels& series, uint64_t generation_before);
  // The values of `call` (a text naming the function, range and time) over `sel`, if
  // kept and still true at `generation`.
  const Values* Find(std::string_view call, const SelectionId& sel, uint64_t generation);
  // Keeps `v` as the values of `call` over `sel` at `generation`.
  void Keep(std::string_view call, const SelectionId& sel, uint64_t generation, Values v);

  void Clear() {
    entries_.clear();
    num_values_ = 0;
  }
  size_t num_entries() const { return entries_.size(); }
  // Lookups answered from the memo, since it was made.
  uint64_t hits() const { return hits_; }

 private:
  static std::string Key(std::string_view call, const SelectionId& sel);
  // Empties the memo unless it holds at `generation`.
  void Sync(uint64_t generation);
  uint64_t generation_ = 0;
  uint64_t hits_ = 0;
  size_t num_values_ = 0;  // over entries_
  std::unordered_map<std::string, Values> entries_;
};

}  // namespace vigil::promql
