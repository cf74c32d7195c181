// Evaluating selectors: instant vectors (the newest sample within the lookback), range
// vectors from range selectors, and range vectors assembled from a subquery's steps.

#include <algorithm>
#include <iterator>
#include <string>
#include <unordered_map>

#include "lib/codec/samples.h"
#include "lib/promql/evaluator.h"

namespace vigil::promql::internal {

const std::vector<SeriesView>& Evaluator::SelectSeries(const Expr& sel) {
  auto it = cache_.find(&sel);
  if (it == cache_.end()) {
    auto h = hints_.find(&sel);
    it = cache_
             .emplace(&sel, q_.Select(h == hints_.end() ? SelectHints{} : h->second,
                                      sel.selector.matchers))
             .first;
  }
  return it->second;
}

Vector Evaluator::SelectVector(const Expr& sel, int64_t t) {
  int64_t ref = AtTime(sel, t) - sel.offset_ms;
  Vector out;
  // The newest sample in [ref - lookback, ref] unless it is a staleness marker: from the
  // storage's window summaries when it has them, else from the selected points.
  auto visit = [&](const VisitedSeries& s, const tsdb::WindowSummary& w) {
    if (w.count > 0 && !w.newest_is_stale) out.push_back(Sample{s.labels, w.last.v, w.last.t});
  };
  if (q_.VisitWindows(sel.selector.matchers, opts_.lookback_ms, ref, false, visit)) {
    Charge(static_cast<int64_t>(out.size()));
    return out;
  }
  for (const SeriesView& s : SelectSeries(sel)) {
    auto it = std::upper_bound(s.points.begin(), s.points.end(), ref,
                               [](int64_t ts, const tsdb::Point& p) { return ts < p.t; });
    if (it == s.points.begin()) continue;
    const tsdb::Point& p = *std::prev(it);
    if (p.t < ref - opts_.lookback_ms || codec::IsStaleNaN(p.v)) continue;
    out.push_back(Sample{*s.labels, p.v, p.t});
  }
  Charge(static_cast<int64_t>(out.size()));
  return out;
}

// A range vector at t.
Matrix Evaluator::EvalMatrix(const Expr& e, int64_t t) {
  if (e.kind == Expr::Kind::kMatrixSelector) {
    const Expr& sel = *e.lhs;
    int64_t maxt = AtTime(sel, t) - sel.offset_ms;
    int64_t mint = maxt - e.range_ms;
    Matrix out;
    for (const SeriesView& s : SelectSeries(sel)) {
      auto lo = std::lower_bound(s.points.begin(), s.points.end(), mint,
                                 [](const tsdb::Point& p, int64_t ts) { return p.t < ts; });
      Series series{*s.labels, {}};
      for (auto it = lo; it != s.points.end() && it->t <= maxt; ++it) {
        if (!codec::IsStaleNaN(it->v)) series.points.push_back(*it);
      }
      Charge(static_cast<int64_t>(series.points.size()));
      out.push_back(std::move(series));
    }
    return out;
  }
  if (e.kind == Expr::Kind::kSubquery) {
    int64_t at = AtTime(e, t);
    int64_t step = e.step_ms > 0 ? e.step_ms : opts_.default_subquery_step_ms;
    int64_t lo = at - e.offset_ms - e.range_ms;
    int64_t start = step * (lo / step);  // Go's truncating division
    if (start < lo) start += step;
    int64_t end = at - e.offset_ms;
    Matrix out;
    std::unordered_map<std::string, size_t> index;
    // Its steps' window calls are at times no rule asks for again: not for the memo.
    ++subquery_depth_;
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{subquery_depth_};
    for (int64_t ts = start; ts <= end; ts += step) {
      Charge(1);
      Value v = Eval(*e.lhs, ts);
      if (v.type == ValueType::kScalar) {
        v.vector = {Sample{labels::Labels(), v.scalar, ts}};
      }
      for (Sample& s : v.vector) {
        std::string k = Key(s.metric);
        auto [it, inserted] = index.emplace(k, out.size());
        if (inserted) out.push_back(Series{s.metric, {}});
        out[it->second].points.push_back(tsdb::Point{ts, s.value});
      }
    }
    return out;
  }
  if (e.kind == Expr::Kind::kParen) return EvalMatrix(*e.lhs, t);
  Fail("expected a range vector");
}

}  // namespace vigil::promql::internal
