// Aggregation operators (sum, avg, min, max, count, group, stddev, stdvar, quantile,
// topk, bottomk, count_values) and their fusion with a window function over the storage's
// window summaries.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/base/format.h"
#include "lib/promql/evaluator.h"
#include "lib/promql/functions.h"
#include "lib/promql/parser.h"
#include "lib/promql/query_cache.h"

namespace vigil::promql::internal {
namespace {

struct Group {
  labels::Labels labels;
  double value = 0;
  double mean = 0;
  double count = 0;
  std::vector<Sample> heap;
  std::vector<double> values;
};

// Go's container/heap with the given less.
template <typename Less>
void HeapUp(std::vector<Sample>& h, size_t j, Less less) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (i == j || !less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}
template <typename Less>
bool HeapDown(std::vector<Sample>& h, size_t i0, size_t n, Less less) {
  size_t i = i0;
  while (true) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (size_t j2 = j1 + 1; j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
  return i > i0;
}

}  // namespace

Value Evaluator::EvalAggregate(const Expr& e, int64_t t) {
  // `sum by (...) (rate(x[5m]))` and the like: the function's values are aggregated as
  // the storage's window summaries are visited, without a vector of relabelled samples
  // in between. Only where that cannot change the result: no parameter to evaluate
  // between argument and aggregation, no output carrying the input's labels, no
  // grouping by the name the function drops, and input series that stay distinct
  // without their name (one name selected) so no duplicate-labelset error is skipped.
  const Expr* fused_call = FusableWindowCall(e);
  Value arg;
  if (fused_call == nullptr) arg = Eval(*e.lhs, t);
  double param = 0;
  std::string value_label;
  int64_t k = 0;
  if (e.rhs) {
    Value p = Eval(*e.rhs, t);
    if (e.agg == AggOp::kCountValues) {
      value_label = p.str;
      if (!labels::IsValidLabelName(value_label))
        Fail(StrCat("invalid label name ", GoQuote(value_label)));
    } else {
      param = p.scalar;
    }
  }
  if (e.agg == AggOp::kTopk || e.agg == AggOp::kBottomk) {
    if (param >= 9.223372036854775807e18 || param <= -9.223372036854775807e18) {
      Fail(StrCat("Scalar value ", FormatFloatG(param), " overflows int64"));
    }
    k = std::isnan(param) ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(param);
    if (k < 1) return Vec({});
  }
  std::vector<std::string> grouping = e.grouping;
  if (e.agg == AggOp::kCountValues && !e.without) grouping.push_back(value_label);

  auto top_less = [](const Sample& a, const Sample& b) {
    if (std::isnan(a.value)) return true;
    return a.value < b.value;
  };
  auto bottom_less = [](const Sample& a, const Sample& b) {
    if (std::isnan(a.value)) return true;
    return a.value > b.value;
  };

  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  const Grouping group_by{grouping, !e.without, true};
  std::string key;  // reused: most samples join an existing group
  // A new group, `metric` its first sample.
  auto start_group = [&](labels::Labels group_labels, const labels::Labels& metric, double v) {
    Group g;
    g.labels = std::move(group_labels);
    g.value = v;
    g.mean = v;
    g.count = 1;
    if (e.agg == AggOp::kStddev || e.agg == AggOp::kStdvar) g.value = 0;
    if (e.agg == AggOp::kGroup) g.value = 1;
    if (e.agg == AggOp::kTopk || e.agg == AggOp::kBottomk) g.heap.push_back(Sample{metric, v, t});
    if (e.agg == AggOp::kQuantile) g.values.push_back(v);
    groups.push_back(std::move(g));
  };
  // Adds a later sample of group `g`.
  auto fold = [&](Group& g, const labels::Labels& metric, double v) {
    switch (e.agg) {
      case AggOp::kSum:
        // Prometheus 2.42 adds plainly here (group.value += s.V); compensated summation
        // of sum() came later. Checked against the real 2.42 (query_differential_test).
        g.value += v;
        break;
      case AggOp::kAvg:
        g.count++;
        if (std::isinf(g.mean)) {
          if (std::isinf(v) && (g.mean > 0) == (v > 0)) break;
          if (!std::isinf(v) && !std::isnan(v)) break;
        }
        g.mean += v / g.count - g.mean / g.count;
        break;
      case AggOp::kGroup:
        break;
      case AggOp::kCount:
      case AggOp::kCountValues:
        g.count++;
        break;
      case AggOp::kMax:
        if (g.value < v || std::isnan(g.value)) g.value = v;
        break;
      case AggOp::kMin:
        if (g.value > v || std::isnan(g.value)) g.value = v;
        break;
      case AggOp::kStddev:
      case AggOp::kStdvar: {
        g.count++;
        double delta = v - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (v - g.mean);
        break;
      }
      case AggOp::kTopk:
        if (static_cast<int64_t>(g.heap.size()) < k) {
          g.heap.push_back(Sample{metric, v, t});
          HeapUp(g.heap, g.heap.size() - 1, top_less);
        } else if (g.heap[0].value < v || (std::isnan(g.heap[0].value) && !std::isnan(v))) {
          g.heap[0] = Sample{metric, v, t};
          if (k > 1 && !HeapDown(g.heap, 0, g.heap.size(), top_less)) HeapUp(g.heap, 0, top_less);
        }
        break;
      case AggOp::kBottomk:
        if (static_cast<int64_t>(g.heap.size()) < k) {
          g.heap.push_back(Sample{metric, v, t});
          HeapUp(g.heap, g.heap.size() - 1, bottom_less);
        } else if (g.heap[0].value > v || (std::isnan(g.heap[0].value) && !std::isnan(v))) {
          g.heap[0] = Sample{metric, v, t};
          if (k > 1 && !HeapDown(g.heap, 0, g.heap.size(), bottom_less))
            HeapUp(g.heap, 0, bottom_less);
        }
        break;
      case AggOp::kQuantile:
        g.values.push_back(v);
        break;
    }
  };
  auto add = [&](const labels::Labels& input, double v) {
    labels::Labels with_value;
    if (e.agg == AggOp::kCountValues) with_value = input.With(value_label, FormatFloatF(v));
    const labels::Labels& metric = e.agg == AggOp::kCountValues ? with_value : input;
    key.clear();
    AppendKey(metric, group_by, &key);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (!inserted) return fold(groups[it->second], metric, v);
    start_group(Filter(metric, group_by), metric, v);
  };
  // Fused with a window function, a series' group is found through the grouping cache
  // when there is one: its key is built only the first time the cache sees the series in
  // this selection. Decided at the first series: one visit has one SelectionId.
  GroupingCache::Groups* cached = nullptr;
  bool decided = false;
  std::vector<uint32_t> group_of_slot;  // the group's index + 1 by cache slot; 0: none yet
  auto add_visited = [&](const VisitedSeries& s, double v) {
    if (!decided) {
      decided = true;
      if (opts_.grouping_cache != nullptr && s.selection.version != 0)
        cached = &opts_.grouping_cache->Lookup(s.selection, e.without, grouping);
    }
    if (cached == nullptr) return add(s.labels, v);
    if (s.index >= s.selection.size) Fail("internal error: a series outside its selection");
    const uint32_t slot = cached->SlotOf(s.index, s.labels);
    if (slot >= group_of_slot.size()) group_of_slot.resize(cached->num_slots(), 0);
    uint32_t& g = group_of_slot[slot];
    if (g != 0) return fold(groups[g - 1], s.labels, v);
    g = static_cast<uint32_t>(groups.size() + 1);
    start_group(cached->labels(slot), s.labels, v);
  };
  if (fused_call == nullptr ||
      !EvalWindowCall(fused_call->func->name, *Unparen(fused_call->args[0].get()), t,
                      add_visited)) {
    if (fused_call != nullptr) arg = Eval(*e.lhs, t);  // no summaries here after all
    for (const Sample& s : arg.vector) add(s.metric, s.value);
  }
  Vector out;
  for (Group& g : groups) {
    switch (e.agg) {
      case AggOp::kSum:
        break;
      case AggOp::kAvg:
        g.value = g.mean;
        break;
      case AggOp::kCount:
      case AggOp::kCountValues:
        g.value = g.count;
        break;
      case AggOp::kStdvar:
        g.value = g.value / g.count;
        break;
      case AggOp::kStddev:
        g.value = std::sqrt(g.value / g.count);
        break;
      case AggOp::kQuantile:
        g.value = Quantile(param, g.values);
        break;
      case AggOp::kTopk:
      case AggOp::kBottomk: {
        auto less = e.agg == AggOp::kTopk ? +top_less : +bottom_less;  // the heap's order
        // sort.Sort(sort.Reverse(heap)): largest (by less) first.
        std::stable_sort(g.heap.begin(), g.heap.end(),
                         [&](const Sample& a, const Sample& b) { return less(b, a); });
        for (Sample& s : g.heap) out.push_back(Sample{s.metric, s.value, t});
        continue;
      }
      default:
        break;
    }
    out.push_back(Sample{g.labels, g.value, t});
  }
  return Vec(std::move(out));
}

// The window call `e` aggregates when EvalAggregate may fuse the two, else null.
const Expr* Evaluator::FusableWindowCall(const Expr& e) const {
  if (e.rhs != nullptr) return nullptr;
  switch (e.agg) {
    case AggOp::kTopk:
    case AggOp::kBottomk:
    case AggOp::kCountValues:
    case AggOp::kQuantile:
      return nullptr;
    default:
      break;
  }
  if (!e.without &&
      std::find(e.grouping.begin(), e.grouping.end(), labels::kMetricName) != e.grouping.end()) {
    return nullptr;
  }
  const Expr* call = Unparen(e.lhs.get());
  if (call->kind != Expr::Kind::kCall || call->args.size() != 1) return nullptr;
  std::string_view name = call->func->name;
  if (!IsWindowFunction(name) || name == "last_over_time") return nullptr;
  const Expr* m = Unparen(call->args[0].get());
  if (m->kind != Expr::Kind::kMatrixSelector || !SelectsOneName(*m->lhs)) return nullptr;
  return call;
}

}  // namespace vigil::promql::internal
