#include "lib/tsdb/head.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <string_view>

namespace vigil::tsdb {
namespace {

// The index key. Not Labels::Fingerprint(): that byte-at-a-time FNV is kept for
// Alertmanager compatibility and costs more than the rest of an append together.
// Collisions are harmless (the index compares label sets).
uint64_t IndexKey(const labels::Labels& l) { return std::hash<std::string_view>()(l.bytes()); }

bool ByLabels(const MemSeries* a, const MemSeries* b) { return a->labels() < b->labels(); }

// Selection versions are counted across every head, so no two lists ever share one.
uint64_t NextSelectionVersion() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Head::Head(IndexKeyFn index_key, ValueCodings codings, size_t max_changes)
    : codings_(codings),
      series_(0, SeriesHash{index_key ? index_key : IndexKey}),
      max_changes_(std::max<size_t>(1, max_changes)) {}

bool Head::Append(const labels::Labels& series, TimestampMs t, double v) {
  auto it = series_.lazy_emplace(series, [&](const auto& construct) {
    auto created = std::make_unique<MemSeries>(series, codings_);
    NoteChange(created.get(), true);
    construct(std::move(created));
    ++num_series_;
  });
  if (!(*it)->Append(t, v)) return false;
  ++num_samples_;
  ++generation_;
  return true;
}

size_t Head::InsertOlder(const labels::Labels& series, std::span<const Point> points) {
  auto it = series_.find(series);
  if (it == series_.end()) {
    size_t added = 0;
    for (const Point& p : points) added += Append(series, p.t, p.v);
    return added;
  }
  // Chunks only grow at their end: the series is written again, the older points first.
  std::vector<Point> held;
  (*it)->Decode(&held);
  const TimestampMs oldest_held =
      held.empty() ? std::numeric_limits<TimestampMs>::max() : held.front().t;
  auto merged = std::make_unique<MemSeries>((*it)->labels(), codings_);
  size_t added = 0;
  for (const Point& p : points) {
    if (p.t >= oldest_held) break;
    added += merged->Append(p.t, p.v);
  }
  if (added == 0) return 0;
  for (const Point& p : held) merged->Append(p.t, p.v);
  NoteChange(it->get(), false);
  series_.erase(it);
  NoteChange(merged.get(), true);
  series_.insert(std::move(merged));
  num_samples_ += added;
  ++generation_;
  return added;
}

std::vector<const MemSeries*> Head::Select(const std::vector<labels::Matcher>& matchers) const {
  std::vector<const MemSeries*> out;
  for (const std::unique_ptr<MemSeries>& s : series_) {
    if (labels::MatchesAll(matchers, s->labels())) out.push_back(s.get());
  }
  return out;
}

const Head::Selection& Head::SelectSorted(const std::vector<labels::Matcher>& matchers) const {
  std::string key = labels::MatchersKey(matchers);
  // Ad-hoc queries with ever new matchers must not grow this without bound.
  if (selections_.size() > 4096 && !selections_.contains(key)) selections_.clear();
  auto [it, inserted] = selections_.try_emplace(std::move(key));
  Remembered& r = it->second;
  Selection& sel = r.selection;
  bool changed = inserted;
  if (inserted || (r.epoch != epoch_ && !ApplyChanges(matchers, r, &changed))) {
    sel.series = Select(matchers);
    std::sort(sel.series.begin(), sel.series.end(), ByLabels);
    sel.key = it->first;
    changed = true;
  }
  if (changed) sel.version = NextSelectionVersion();
  r.epoch = epoch_;
  return sel;
}

void Head::NoteChange(const MemSeries* series, bool created) {
  if (changes_.size() >= max_changes_) changes_.clear();
  changes_.push_back({series, created});
  ++epoch_;
}

bool Head::ApplyChanges(const std::vector<labels::Matcher>& matchers, Remembered& r,
                        bool* changed) const {
  const uint64_t behind = epoch_ - r.epoch;
  std::vector<const MemSeries*>& series = r.selection.series;
  // Replaying more than a quarter of the head's series costs about what selecting does.
  if (behind > changes_.size() || behind > num_series_ / 4 + 16) return false;
  // What the changes do to each series pointer, in order: a pointer can be dropped and
  // then reused by a series created later.
  enum : uint8_t { kRemoved = 1, kAdded = 2 };
  absl::flat_hash_map<const MemSeries*, uint8_t> net;
  bool any_removed = false;
  for (size_t i = changes_.size() - behind; i < changes_.size(); ++i) {
    uint8_t& f = net[changes_[i].series];
    if (changes_[i].created) {
      f |= kAdded;
    } else if (f & kAdded) {
      f &= ~kAdded;  // created and dropped again since: never in the selection
    } else {
      f |= kRemoved;
      any_removed = true;
    }
  }
  const size_t before = series.size();
  if (any_removed) {
    std::erase_if(series, [&](const MemSeries* s) {
      auto it = net.find(s);
      return it != net.end() && (it->second & kRemoved);
    });
  }
  const size_t kept = series.size();
  for (const auto& [s, f] : net) {
    if ((f & kAdded) && labels::MatchesAll(matchers, s->labels())) series.push_back(s);
  }
  if (series.size() > kept) {
    std::sort(series.begin() + kept, series.end(), ByLabels);
    std::inplace_merge(series.begin(), series.begin() + kept, series.end(), ByLabels);
  }
  *changed = kept != before || series.size() != kept;
  return true;
}

void Head::Truncate(TimestampMs min_t) {
  Truncate(
      min_t, min_t, [](const MemSeries&) { return false; }, [](const MemSeries&) {});
}

void Head::Truncate(TimestampMs min_t, TimestampMs short_min_t,
                    absl::FunctionRef<bool(const MemSeries&)> short_retention,
                    absl::FunctionRef<void(const MemSeries&)> dropped) {
  ++generation_;
  for (auto it = series_.begin(); it != series_.end();) {
    TimestampMs cut = min_t;
    if (short_min_t > min_t && short_retention(**it)) {
      // No sample older than short_min_t: none is hidden beyond min_t either.
      cut = std::max(cut, (*it)->NewestTimeBefore(short_min_t).value_or(min_t));
    }
    num_samples_ -= (*it)->Truncate(cut);
    if ((*it)->empty()) {
      dropped(**it);
      NoteChange(it->get(), false);
      series_.erase(it++);
      --num_series_;
    } else {
      ++it;
    }
  }
}

Head::Bytes Head::memory_parts() const {
  Bytes b;
  // flat_hash_set: one slot (a pointer) and one control byte per bucket, plus a group of
  // sentinels.
  b.index = HeapBytes(series_.capacity() * (sizeof(void*) + 1) + 16);
  for (const std::unique_ptr<MemSeries>& s : series_) b.series += s->MemoryParts();
  b.selections = HeapBytes(changes_.capacity() * sizeof(Change));
  for (const auto& [key, r] : selections_) {
    b.selections += HeapBytes(sizeof(std::pair<const std::string, Remembered>)) +
                    HeapBytes(key.capacity() + 1) +
                    HeapBytes(r.selection.series.capacity() * sizeof(void*));
  }
  return b;
}

}  // namespace vigil::tsdb
