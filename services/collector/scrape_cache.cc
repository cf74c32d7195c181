#include "services/collector/scrape_cache.h"

#include <utility>

namespace vigil::collector {

uint32_t ScrapeCache::Symbol(const std::string& s) {
  if (batch.symbols_size() == 0) {
    batch.add_symbols("");
    symbols.emplace("", 0);
  }
  auto [it, inserted] = symbols.emplace(s, static_cast<uint32_t>(batch.symbols_size()));
  if (inserted) batch.add_symbols(s);
  return it->second;
}

std::vector<uint32_t> ScrapeCache::Refs(const labels::Labels& ls) {
  std::vector<uint32_t> refs;
  refs.reserve(ls.size() * 2);
  for (const labels::Label& l : ls) {
    refs.push_back(Symbol(l.name));
    refs.push_back(Symbol(l.value));
  }
  return refs;
}

int32_t ScrapeCache::Intern(labels::Labels ls) {
  uint64_t fp = ls.Fingerprint();
  auto [it, inserted] = by_fingerprint.emplace(fp, static_cast<int32_t>(series.size()));
  if (!inserted) return it->second;
  Series s;
  s.refs = Refs(ls);
  s.labels = std::move(ls);
  s.fingerprint = fp;
  series.push_back(std::move(s));
  return it->second;
}

void ScrapeCache::Compact() {
  std::vector<int32_t> remap(series.size(), kDropped);
  std::vector<Series> kept;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i].seen != scrape) continue;
    remap[i] = static_cast<int32_t>(kept.size());
    kept.push_back(std::move(series[i]));
  }
  absl::flat_hash_map<std::string, int32_t> kept_lines;
  for (auto& [text, index] : lines) {
    if (index >= 0 && remap[static_cast<size_t>(index)] >= 0) {
      kept_lines.emplace(text, remap[static_cast<size_t>(index)]);
    }
  }
  lines = std::move(kept_lines);
  series = std::move(kept);
  by_fingerprint.clear();
  symbols.clear();
  batch.clear_symbols();
  report_refs.clear();
  for (size_t i = 0; i < series.size(); ++i) {
    by_fingerprint.emplace(series[i].fingerprint, static_cast<int32_t>(i));
    series[i].refs = Refs(series[i].labels);
  }
}

}  // namespace vigil::collector
