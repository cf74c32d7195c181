// GroupingCache and WindowMemo (query_cache.h). The engine uses them in
// aggregations.cc and in Evaluator::EvalWindowCall (evaluator.h).

#include "lib/promql/query_cache.h"

#include <string>
#include <string_view>

#include "lib/base/format.h"
#include "lib/promql/engine_internal.h"

namespace vigil::promql {

uint32_t GroupingCache::Groups::SlotOf(size_t index, const labels::Labels& series) {
  uint32_t& slot = slot_of_series_[index];
  if (slot != kUnknown) return slot;
  const internal::Grouping g{names_, !without_, true};
  std::string key;
  internal::AppendKey(series, g, &key);
  auto [it, inserted] =
      slot_of_key_.try_emplace(std::move(key), static_cast<uint32_t>(group_labels_.size()));
  if (inserted) group_labels_.push_back(internal::Filter(series, g));
  slot = it->second;
  return slot;
}

GroupingCache::Groups& GroupingCache::Lookup(const SelectionId& sel, bool without,
                                             const std::vector<std::string>& names) {
  // The selection's key length-prefixed, then the grouping (label names hold no \xff).
  std::string k = StrCat(sel.key.size(), ":", sel.key, without ? "without" : "by");
  for (const std::string& name : names) k += StrCat("\xff", name);
  if (entries_.size() >= kMaxEntries && !entries_.contains(k)) entries_.clear();
  auto [it, inserted] = entries_.try_emplace(std::move(k));
  Groups& g = it->second;
  if (inserted) {
    g.without_ = without;
    g.names_ = names;
  }
  if (g.version_ != sel.version) {
    g.version_ = sel.version;
    g.slot_of_series_.assign(sel.size, Groups::kUnknown);
    // Groups of series long gone would pile up under churn (pods replaced one by one).
    if (g.group_labels_.size() > 2 * sel.size + 16) {
      g.slot_of_key_.clear();
      g.group_labels_.clear();
    }
  }
  return g;
}

size_t GroupingCache::memory_bytes() const {
  size_t n = 0;
  for (const auto& [k, g] : entries_) {
    n += k.capacity() + sizeof(g) + g.slot_of_series_.capacity() * sizeof(uint32_t);
    for (const auto& [key, slot] : g.slot_of_key_) n += key.capacity() + 48;
    for (const labels::Labels& l : g.group_labels_) n += sizeof(l) + l.bytes().size();
  }
  return n;
}

std::string WindowMemo::Key(std::string_view call, const SelectionId& sel) {
  return StrCat(sel.key.size(), ":", sel.key, call);
}

void WindowMemo::Sync(uint64_t generation) {
  if (generation == generation_) return;
  Clear();
  generation_ = generation;
}

void WindowMemo::Appended(const labels::Labels& series, uint64_t generation_before) {
  Sync(generation_before);
  std::erase_if(entries_, [&](const auto& e) {
    if (!labels::MatchesAll(e.second.matchers, series)) return false;
    num_values_ -= e.second.values.size();
    return true;
  });
  generation_ = generation_before + 1;
}

const WindowMemo::Values* WindowMemo::Find(std::string_view call, const SelectionId& sel,
                                           uint64_t generation) {
  Sync(generation);
  auto it = entries_.find(Key(call, sel));
  if (it == entries_.end() || it->second.version != sel.version) return nullptr;
  ++hits_;
  return &it->second;
}

void WindowMemo::Keep(std::string_view call, const SelectionId& sel, uint64_t generation,
                      Values v) {
  Sync(generation);
  if (num_values_ + v.values.size() > kMaxValues) return;
  v.version = sel.version;
  num_values_ += v.values.size();
  auto [it, inserted] = entries_.try_emplace(Key(call, sel));
  if (!inserted) num_values_ -= it->second.values.size();
  it->second = std::move(v);
}

}  // namespace vigil::promql
