// HeadQueryable: the engine's storage interface over the evaluator's head (engine.h).

#include "lib/promql/engine.h"

namespace vigil::promql {

size_t HeadQueryable::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<const void*>()(k.series);
  h = (h ^ std::hash<int64_t>()(k.start)) * 0x9e3779b97f4a7c15;
  return (h ^ std::hash<int64_t>()(k.end)) * 0x9e3779b97f4a7c15;
}

std::vector<SeriesView> HeadQueryable::Select(const SelectHints& hints,
                                              const std::vector<labels::Matcher>& matchers) const {
  std::vector<SeriesView> out;
  // Sorted by labels, as Prometheus's storage returns them: aggregation order depends on it.
  for (const tsdb::MemSeries* s : head_.SelectSorted(matchers).series) {
    auto [it, inserted] = decoded_.try_emplace(Key{s, hints.start, hints.end});
    if (inserted) s->Decode(hints.start, hints.end, &it->second);
    out.push_back(SeriesView{&s->labels(), std::span<const tsdb::Point>(it->second)});
  }
  return out;
}

bool HeadQueryable::VisitWindows(const std::vector<labels::Matcher>& matchers, int64_t range,
                                 TimestampMs maxt, bool with_resets, const WindowFn& fn) const {
  const tsdb::Head::Selection& sel = head_.SelectSorted(matchers);
  const SelectionId id{sel.key, sel.version, sel.series.size()};
  for (size_t i = 0; i < sel.series.size(); ++i) {
    const tsdb::MemSeries* s = sel.series[i];
    fn(VisitedSeries{s->labels(), id, i}, s->Window(range, maxt, with_resets));
  }
  return true;
}

SelectionId HeadQueryable::Identify(const std::vector<labels::Matcher>& matchers) const {
  const tsdb::Head::Selection& sel = head_.SelectSorted(matchers);
  return SelectionId{sel.key, sel.version, sel.series.size()};
}

}  // namespace vigil::promql
