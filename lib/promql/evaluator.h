#pragma once

// The evaluator behind Query and QueryRange (Prometheus's promql evaluator): walks the
// syntax tree at one evaluation time, reading series through a Queryable. One object per
// query; not thread-safe. Its member functions live in the file of their concept:
//   engine.cc            Eval's dispatch, select-hint planning, the public entry points
//   selector_eval.cc     instant selectors, range selectors and subqueries
//   binary_ops.cc        arithmetic, comparison and set operators, vector matching
//   aggregations.cc      sum, avg, topk, quantile, count_values, ... (and window fusion)
//   instant_functions.cc functions of instant vectors and scalars
//   range_functions.cc   functions of range vectors (rate, *_over_time, ...)
// Errors are thrown as EvalError and caught at the entry points.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/base/format.h"
#include "lib/promql/engine.h"
#include "lib/promql/engine_internal.h"
#include "lib/promql/query_cache.h"

namespace vigil::promql::internal {

class Evaluator {
 public:
  // `expr` is what will be evaluated at times in [start, end] (Eval may be called on its
  // subexpressions only): the hints each selector's Select gets are planned from it.
  Evaluator(const Expr& expr, const Queryable& q, int64_t start, int64_t end,
            const QueryOptions& opts)
      : q_(q), start_(start), end_(end), opts_(opts) {
    PlanHints(expr, start, end);
  }

  Value Eval(const Expr& e, int64_t t);

 private:
  static Value Scalar(double v) {
    Value out;
    out.type = ValueType::kScalar;
    out.scalar = v;
    return out;
  }
  static Value Vec(Vector v) {
    Value out;
    out.type = ValueType::kVector;
    out.vector = std::move(v);
    return out;
  }

  // The time a selector or subquery reads at: its @ time or the evaluation time.
  int64_t AtTime(const Expr& e, int64_t t) const {
    switch (e.at) {
      case AtKind::kNone:
        return t;
      case AtKind::kTimestamp:
        return e.at_ms;
      case AtKind::kStart:
        return start_;
      case AtKind::kEnd:
        return end_;
    }
    return t;
  }

  void Charge(int64_t n) {
    samples_ += n;
    if (samples_ > opts_.max_samples)
      Fail("query processing would load too many samples into memory in query execution");
  }

  // Records in hints_ the samples each vector selector under `e` will read when `e` is
  // evaluated at times in [lo, hi] (Prometheus's getTimeRangesForSelector): mirrors the
  // times Eval, SelectVector and EvalMatrix use.
  void PlanHints(const Expr& e, int64_t lo, int64_t hi);

  // --- selectors (selector_eval.cc) ------------------------------------------------------

  const std::vector<SeriesView>& SelectSeries(const Expr& sel);
  Vector SelectVector(const Expr& sel, int64_t t);
  // A range vector at t.
  Matrix EvalMatrix(const Expr& e, int64_t t);

  // --- binary operators (binary_ops.cc) --------------------------------------------------

  Value EvalBinary(const Expr& e, int64_t t);
  Vector And(const Vector& lhs, const Vector& rhs, const VectorMatching& vm);
  Vector Or(const Vector& lhs, const Vector& rhs, const VectorMatching& vm);
  Vector Unless(const Vector& lhs, const Vector& rhs, const VectorMatching& vm);
  Vector VectorBinop(BinOp op, Vector lhs, Vector rhs, const VectorMatching& vm, bool return_bool);

  // --- aggregation (aggregations.cc) -----------------------------------------------------

  Value EvalAggregate(const Expr& e, int64_t t);
  // The window call `e` aggregates when EvalAggregate may fuse the two, else null.
  const Expr* FusableWindowCall(const Expr& e) const;

  // --- functions (instant_functions.cc, range_functions.cc) ------------------------------

  Value EvalCall(const Expr& e, int64_t t);
  Value EvalMatrixCall(const Expr& e, int64_t t, int matrix_arg);

  // `name`(sel[range]) from the storage's window summaries, without decoding the window;
  // nullopt when the storage has none. Same results, bit for bit, as MatrixFunc over the
  // points (the summaries hold exactly what these functions read of them).
  std::optional<Value> EvalWindowCall(std::string_view name, const Expr& matrix, int64_t t);

  // The same, handing each series (labels with the name, place in the selection) and
  // value to `sink` in the order of the series; false when the storage has no window
  // summaries. Defined below: EvalAggregate calls it with its own sink.
  template <typename Sink>
  bool EvalWindowCall(std::string_view name, const Expr& matrix, int64_t t, Sink& sink);

  const Queryable& q_;
  int64_t start_, end_;
  QueryOptions opts_;
  int64_t samples_ = 0;
  // Subqueries being evaluated (EvalMatrix): their steps' window calls are not memoized.
  int subquery_depth_ = 0;
  std::unordered_map<const Expr*, SelectHints> hints_;
  std::unordered_map<const Expr*, std::vector<SeriesView>> cache_;
};

template <typename Sink>
bool Evaluator::EvalWindowCall(std::string_view name, const Expr& matrix, int64_t t, Sink& sink) {
  const Expr& sel = *matrix.lhs;
  const int64_t range = matrix.range_ms;
  const int64_t range_end = AtTime(sel, t) - sel.offset_ms;
  const int64_t range_start = range_end - range;
  // The same call over the same series at the same time gives the same values: from the
  // memo when an earlier query kept them (WindowMemo), else computed and kept.
  WindowMemo* memo = opts_.window_memo;
  SelectionId id;
  std::string call;
  if (memo != nullptr && subquery_depth_ == 0 && q_.generation() != 0) {
    id = q_.Identify(sel.selector.matchers);
  }
  if (id.version != 0) {
    call = StrCat("\xff", name, "\xff", range, "\xff", range_end);
    if (const WindowMemo::Values* kept = memo->Find(call, id, q_.generation())) {
      Charge(kept->samples);
      for (size_t i = 0; i < kept->labels.size(); ++i) {
        if (kept->labels[i] != nullptr)
          sink(VisitedSeries{*kept->labels[i], id, i}, kept->values[i]);
      }
      return true;
    }
  }
  WindowMemo::Values keep;
  bool keepable = id.version != 0;  // and every series visited is of the selection named
  if (keepable) {
    keep.labels.assign(id.size, nullptr);
    keep.values.assign(id.size, 0);
  }
  bool with_resets = name == "rate" || name == "increase" || name == "resets";
  auto visit = [&](const VisitedSeries& series, const tsdb::WindowSummary& s) {
    Charge(s.count);
    keep.samples += s.count;
    if (series.selection.version != id.version || series.index >= keep.labels.size()) {
      keepable = false;
    }
    if (s.count == 0) return;
    std::optional<double> r;
    if (name == "rate" || name == "increase" || name == "delta") {
      bool is_counter = name != "delta";
      if (s.count >= 2) {
        double result = s.last.v - s.first.v;
        if (is_counter) {
          // Prometheus's correction loop adds the value before each drop, oldest first (its
          // comparison of the first sample with 0 adds 0, so it has no counterpart here).
          for (double prev : s.reset_prev_values) result += prev;
        }
        r = Extrapolate(result, s.first, s.last, s.count, is_counter, name == "rate", range_start,
                        range_end, range);
      }
    } else if (name == "irate" || name == "idelta") {
      if (s.count >= 2) r = InstantDelta(name == "irate", s.before_last, s.last);
    } else if (name == "resets") {
      r = static_cast<double>(s.reset_prev_values.size());
    } else if (name == "count_over_time") {
      r = static_cast<double>(s.count);
    } else if (name == "last_over_time") {
      r = s.last.v;
    } else {  // present_over_time
      r = 1;
    }
    if (!r) return;
    if (keepable) {
      keep.labels[series.index] = &series.labels;
      keep.values[series.index] = *r;
    }
    sink(series, *r);
  };
  if (!q_.VisitWindows(sel.selector.matchers, range, range_end, with_resets, visit)) return false;
  if (keepable) {
    keep.matchers = sel.selector.matchers;
    memo->Keep(call, id, q_.generation(), std::move(keep));
  }
  return true;
}

}  // namespace vigil::promql::internal
