// GroupingCache (engine.h): aggregation groups per series, kept across queries. The
// aggregation that fills it is in aggregations.cc.

#include <string>
#include <string_view>

#include "lib/base/format.h"
#include "lib/promql/engine.h"

namespace vigil::promql {

size_t GroupingCache::memory_bytes() const {
  size_t n = 0;
  for (const auto& [k, e] : entries_) {
    n += k.capacity() + sizeof(e) + e.slot_of_series.capacity() * sizeof(uint32_t);
    for (const auto& [group, slot] : e.slot_of_key) n += group.capacity() + 48;
    for (const labels::Labels& l : e.group_labels) n += sizeof(l) + l.bytes().size();
  }
  return n;
}

GroupingCache::Entry& GroupingCache::Lookup(const SelectionId& sel, std::string_view grouping) {
  // Length-prefixed: neither text can end the other early.
  std::string k = StrCat(sel.key.size(), ":", sel.key, grouping);
  if (entries_.size() >= kMaxEntries && !entries_.contains(k)) entries_.clear();
  Entry& e = entries_[std::move(k)];
  if (e.version != sel.version) {
    e.version = sel.version;
    e.slot_of_series.assign(sel.size, kUnknown);
    e.slot_of_key.clear();
    e.group_labels.clear();
  }
  return e;
}

}  // namespace vigil::promql
