#include "services/reporter/sample_reader.h"

#include <algorithm>
#include <utility>

#include "lib/base/format.h"
#include "lib/codec/samples.h"

namespace vigil::reporter {
namespace {

// Rows of the series table listed per query.
constexpr size_t kSeriesPage = 1000;

absl::StatusOr<labels::MatchType> MatchTypeFromProto(v1::LabelMatcher::Type t) {
  switch (t) {
    case v1::LabelMatcher::EQUAL:
      return labels::MatchType::kEqual;
    case v1::LabelMatcher::NOT_EQUAL:
      return labels::MatchType::kNotEqual;
    case v1::LabelMatcher::REGEX:
      return labels::MatchType::kRegex;
    case v1::LabelMatcher::NOT_REGEX:
      return labels::MatchType::kNotRegex;
    default:
      return absl::InvalidArgumentError(StrCat("unknown matcher type ", static_cast<int>(t)));
  }
}

}  // namespace

absl::StatusOr<std::vector<labels::Matcher>> MatchersFromProto(const v1::Selector& selector) {
  std::vector<labels::Matcher> out;
  out.reserve(selector.matchers_size());
  for (const v1::LabelMatcher& m : selector.matchers()) {
    auto type = MatchTypeFromProto(m.type());
    if (!type.ok()) return type.status();
    auto matcher = labels::Matcher::Create(*type, m.name(), m.value());
    if (!matcher.ok()) return absl::InvalidArgumentError(std::string(matcher.status().message()));
    out.push_back(*std::move(matcher));
  }
  return out;
}

absl::StatusOr<SampleReader> SampleReader::Create(const v1::ReadSamplesRequest& req,
                                                  size_t max_samples_per_batch) {
  if (req.start_ms() > req.end_ms()) {
    return absl::InvalidArgumentError(
        StrCat("start_ms ", req.start_ms(), " is after end_ms ", req.end_ms()));
  }
  SampleReader r;
  for (const v1::Selector& s : req.selectors()) {
    auto matchers = MatchersFromProto(s);
    if (!matchers.ok()) return matchers.status();
    r.selectors_.push_back(*std::move(matchers));
  }
  r.start_ms_ = req.start_ms();
  r.end_ms_ = req.end_ms();
  r.resume_ms_ = r.start_ms_;
  if (req.max_series_per_batch() > 0) r.series_per_batch_ = req.max_series_per_batch();
  r.samples_per_batch_ = std::max<size_t>(max_samples_per_batch, 1);
  return r;
}

bool SampleReader::Selected(const labels::Labels& ls) const {
  if (selectors_.empty()) return true;
  for (const auto& matchers : selectors_) {
    if (labels::MatchesAll(matchers, ls)) return true;
  }
  return false;
}

absl::StatusOr<v1::SampleBatch> SampleReader::Next(Store& store) {
  codec::SampleBatchBuilder batch;
  size_t samples = 0, scanned = 0;
  std::vector<codec::Point> points;
  while (!done_ && batch.series_count() < series_per_batch_ && samples < samples_per_batch_) {
    if (selected_.empty()) {
      if (listed_all_) {
        done_ = true;
        break;
      }
      if (scanned >= kMaxSeriesScannedPerStep) break;
      auto page = store.ListSeriesAfter(after_id_, kSeriesPage);
      if (!page.ok()) return page.status();
      if (page->size() < kSeriesPage) listed_all_ = true;
      if (page->empty()) continue;
      after_id_ = page->back().id;
      scanned += page->size();
      for (Store::StoredSeries& s : *page) {
        if (Selected(s.labels)) selected_.push_back(std::move(s));
      }
      continue;
    }
    const Store::StoredSeries& series = selected_.front();
    size_t room = samples_per_batch_ - samples;
    auto rows = store.ReadSeriesSamples(series.id, resume_ms_, end_ms_, room);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      points.clear();
      points.reserve(rows->size());
      for (const Store::SampleRow& r : *rows) points.push_back({r.t_ms, r.value});
      batch.AddSeries(series.labels, points);
      samples += rows->size();
    }
    if (rows->size() == room && rows->back().t_ms < end_ms_) {
      resume_ms_ = rows->back().t_ms + 1;  // the batch is full; the series goes on
    } else {
      selected_.pop_front();
      resume_ms_ = start_ms_;
    }
  }
  return batch.Take();
}

}  // namespace vigil::reporter
