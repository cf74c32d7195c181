#include "services/collector/scrape_cache.h"

#include <cstring>
#include <utility>

namespace vigil::collector {

absl::string_view TextArena::Copy(absl::string_view s) {
  if (s.size() > kChunk / 4) {  // a long text gets a chunk of its own, before the current one
    auto big = std::make_unique<char[]>(s.size());
    std::memcpy(big.get(), s.data(), s.size());
    absl::string_view out(big.get(), s.size());
    chunks_.insert(chunks_.empty() ? chunks_.end() : chunks_.end() - 1, std::move(big));
    return out;
  }
  if (used_ + s.size() > kChunk) {
    chunks_.push_back(std::make_unique<char[]>(kChunk));
    used_ = 0;
  }
  char* at = chunks_.back().get() + used_;
  if (!s.empty()) std::memcpy(at, s.data(), s.size());
  used_ += s.size();
  return absl::string_view(at, s.size());
}

void TextArena::Clear() {
  chunks_.clear();
  used_ = kChunk;
}

std::optional<int32_t> ScrapeCache::Lookup(absl::string_view text,
                                           absl::string_view* found) const {
  // Most lines come where they came last time: one comparison, memory read in order.
  size_t at = next_order.size();
  if (at < order.size() && order[at].text == text) {
    *found = order[at].text;
    return order[at].series;
  }
  auto it = lines.find(text);
  if (it == lines.end()) return std::nullopt;
  *found = it->first;
  return it->second;
}

absl::string_view ScrapeCache::Remember(absl::string_view text, int32_t series_index) {
  absl::string_view stored = texts.Copy(text);
  lines.emplace(stored, series_index);
  return stored;
}

void ScrapeCache::EndLines() {
  order.swap(next_order);
  next_order.clear();
}

void ScrapeCache::Encode(Series& s) {
  s.refs_begin = static_cast<uint32_t>(ref_pool.size());
  for (const labels::LabelView& l : s.labels) {
    ref_pool.push_back(symbols.Ref(l.name));
    ref_pool.push_back(symbols.Ref(l.value));
  }
  s.refs_size = static_cast<uint32_t>(ref_pool.size()) - s.refs_begin;
}

int32_t ScrapeCache::Intern(labels::Labels ls) {
  uint64_t fp = ls.Fingerprint();
  auto [it, inserted] = by_fingerprint.emplace(fp, static_cast<int32_t>(series.size()));
  if (!inserted) return it->second;
  Series s;
  s.labels = std::move(ls);
  s.fingerprint = fp;
  Encode(s);
  series.push_back(std::move(s));
  return it->second;
}

ScrapeCache::Series ScrapeCache::Encoded(labels::Labels ls) {
  Series s;
  s.labels = std::move(ls);
  Encode(s);
  return s;
}

void ScrapeCache::ForgetLines() {
  lines.clear();
  order.clear();
  next_order.clear();
  texts.Clear();
}

void ScrapeCache::Compact() {
  std::vector<int32_t> remap(series.size(), kDropped);
  std::vector<Series> kept;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i].seen != scrape) continue;
    remap[i] = static_cast<int32_t>(kept.size());
    kept.push_back(std::move(series[i]));
  }
  // Texts in the order of the last scrape, so the next one still reads memory in order.
  TextArena old_texts = std::move(texts);
  std::vector<Line> old_order = std::move(order);
  texts.Clear();
  lines.clear();
  order.clear();
  next_order.clear();
  for (const Line& l : old_order) {
    if (l.series < 0 || remap[static_cast<size_t>(l.series)] < 0 || lines.contains(l.text)) {
      continue;
    }
    int32_t index = remap[static_cast<size_t>(l.series)];
    order.push_back(Line{Remember(l.text, index), index});
  }
  series = std::move(kept);
  by_fingerprint.clear();
  symbols.Clear();
  ref_pool.clear();
  report_series.clear();
  for (size_t i = 0; i < series.size(); ++i) {
    by_fingerprint.emplace(series[i].fingerprint, static_cast<int32_t>(i));
    Encode(series[i]);
  }
}

}  // namespace vigil::collector
