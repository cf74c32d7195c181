#include "lib/tsdb/head.h"

#include <algorithm>

namespace vigil::tsdb {

bool Head::Append(const labels::Labels& series, TimestampMs t, double v) {
  auto& bucket = series_[series.Fingerprint()];
  MemSeries* s = nullptr;
  for (auto& candidate : bucket) {
    if (candidate->labels == series) s = candidate.get();
  }
  if (s == nullptr) {
    bucket.push_back(std::make_unique<MemSeries>(MemSeries{series, {}}));
    s = bucket.back().get();
  }
  if (!s->points.empty() && s->points.back().t >= t) return false;
  s->points.push_back(Point{t, v});
  ++num_samples_;
  return true;
}

std::vector<const MemSeries*> Head::Select(const std::vector<labels::Matcher>& matchers) const {
  std::vector<const MemSeries*> out;
  for (const auto& [fp, bucket] : series_) {
    for (const auto& s : bucket) {
      if (labels::MatchesAll(matchers, s->labels)) out.push_back(s.get());
    }
  }
  return out;
}

void Head::Truncate(TimestampMs min_t) {
  for (auto it = series_.begin(); it != series_.end();) {
    auto& bucket = it->second;
    for (auto& s : bucket) {
      auto keep = std::lower_bound(s->points.begin(), s->points.end(), min_t,
                                   [](const Point& p, TimestampMs t) { return p.t < t; });
      num_samples_ -= static_cast<size_t>(keep - s->points.begin());
      s->points.erase(s->points.begin(), keep);
    }
    bucket.erase(std::remove_if(bucket.begin(), bucket.end(),
                                [](const auto& s) { return s->points.empty(); }),
                 bucket.end());
    if (bucket.empty()) {
      series_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace vigil::tsdb
