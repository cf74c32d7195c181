#include "lib/tsdb/head.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace vigil::tsdb {
namespace {

// The index key. Not Labels::Fingerprint(): that byte-at-a-time FNV is kept for
// Alertmanager compatibility and costs more than the rest of an append together.
// Collisions are harmless (buckets chain and compare label sets).
uint64_t IndexKey(const labels::Labels& l) { return std::hash<std::string_view>()(l.bytes()); }

}  // namespace

Head::Head(IndexKeyFn index_key, ValueCodings codings)
    : index_key_(index_key ? index_key : IndexKey), codings_(codings) {}

bool Head::Append(const labels::Labels& series, TimestampMs t, double v) {
  std::unique_ptr<MemSeries>* slot = &series_[index_key_(series)];
  while (*slot != nullptr && (*slot)->labels() != series) slot = &(*slot)->next_in_bucket();
  if (*slot == nullptr) {
    *slot = std::make_unique<MemSeries>(series, codings_);
    ++num_series_;
    ++epoch_;
  }
  if (!(*slot)->Append(t, v)) return false;
  ++num_samples_;
  return true;
}

std::vector<const MemSeries*> Head::Select(const std::vector<labels::Matcher>& matchers) const {
  std::vector<const MemSeries*> out;
  for (const auto& [fp, first] : series_) {
    for (const MemSeries* s = first.get(); s != nullptr; s = s->next_in_bucket()) {
      if (labels::MatchesAll(matchers, s->labels())) out.push_back(s);
    }
  }
  return out;
}

const std::vector<const MemSeries*>& Head::SelectSorted(
    const std::vector<labels::Matcher>& matchers) const {
  std::string key;
  for (const labels::Matcher& m : matchers) {
    key += m.ToString();
    key += '\0';
  }
  // Ad-hoc queries with ever new matchers must not grow this without bound.
  if (selections_.size() > 4096 && !selections_.contains(key)) selections_.clear();
  auto [it, inserted] = selections_.try_emplace(std::move(key));
  Selection& sel = it->second;
  if (inserted || sel.epoch != epoch_) {
    sel.epoch = epoch_;
    sel.series = Select(matchers);
    std::sort(sel.series.begin(), sel.series.end(),
              [](const MemSeries* a, const MemSeries* b) { return a->labels() < b->labels(); });
  }
  return sel.series;
}

void Head::Truncate(TimestampMs min_t) {
  for (auto it = series_.begin(); it != series_.end();) {
    std::unique_ptr<MemSeries>* slot = &it->second;
    while (*slot != nullptr) {
      num_samples_ -= (*slot)->Truncate(min_t);
      if ((*slot)->empty()) {
        *slot = std::move((*slot)->next_in_bucket());
        --num_series_;
        ++epoch_;
      } else {
        slot = &(*slot)->next_in_bucket();
      }
    }
    if (it->second == nullptr) {
      series_.erase(it++);
    } else {
      ++it;
    }
  }
}

size_t Head::memory_bytes() const {
  // flat_hash_map: one slot and one control byte per bucket, plus a group of sentinels.
  size_t n = HeapBytes(series_.capacity() * (sizeof(std::pair<uint64_t, void*>) + 1) + 16);
  for (const auto& [fp, first] : series_) {
    for (const MemSeries* s = first.get(); s != nullptr; s = s->next_in_bucket()) {
      n += s->MemoryBytes();
    }
  }
  for (const auto& [key, sel] : selections_) {
    n += HeapBytes(key.capacity() + 1) + HeapBytes(sel.series.capacity() * sizeof(void*));
  }
  return n;
}

}  // namespace vigil::tsdb
