#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "lib/tsdb/head.h"

namespace vigil::promql {

// Values (Prometheus promql/value.go).
struct Sample {
  labels::Labels metric;
  double value;
  // The sample's own timestamp for raw selector results (used by timestamp()); otherwise
  // the evaluation time.
  TimestampMs t = 0;
};
using Vector = std::vector<Sample>;

struct Series {
  labels::Labels metric;
  std::vector<tsdb::Point> points;
};
using Matrix = std::vector<Series>;

struct Value {
  ValueType type = ValueType::kNone;
  double scalar = 0;
  std::string str;
  Vector vector;
  Matrix matrix;
};

// What the engine will read of the series one selector selects (Prometheus's
// storage.SelectHints): samples with timestamps in the closed range [start, end] — the
// union, over every evaluation time the query (range steps, subquery steps, `@`, offset)
// evaluates that selector at, of [t - offset - lookback, t - offset] for an instant
// selector and [t - offset - range, t - offset] for a range selector. A storage may return
// more samples than that (the engine filters), never fewer.
struct SelectHints {
  TimestampMs start = std::numeric_limits<TimestampMs>::min();
  TimestampMs end = std::numeric_limits<TimestampMs>::max();
};

// The narrow storage interface the engine reads: every series matching all matchers,
// sorted by labels, with at least its samples in [hints.start, hints.end] (staleness
// markers included) in timestamp order. The views stay valid for the duration of one
// query.
struct SeriesView {
  const labels::Labels* labels;
  std::span<const tsdb::Point> points;
};

// The list of series one VisitWindows call visits, named so that results kept per series
// can be used again (query_cache.h): `key` names the selection (its matchers), `version`
// its list of series, unique across keys and time: equal versions mean the same series in
// the same order. Version 0: the storage cannot say. Every series of one VisitWindows call
// carries the same SelectionId, and its index is below `size`.
struct SelectionId {
  std::string_view key;
  uint64_t version = 0;
  size_t size = 0;
};
// A series VisitWindows hands over: its labels and its place in the selection.
struct VisitedSeries {
  const labels::Labels& labels;
  const SelectionId& selection;
  size_t index;
};
class Queryable {
 public:
  virtual ~Queryable() = default;
  // Calls `fn` for every series matching all matchers, in label order, with the summary
  // of its samples in [maxt - range, maxt] (tsdb::WindowSummary; counter drops only
  // `with_resets`), which is enough for rate, increase, delta, irate, idelta, resets,
  // count/last/present_over_time and instant selectors: the engine then computes them
  // without decoding windows. false (nothing visited) when this storage has no
  // summaries: the engine then selects the points.
  using WindowFn = std::function<void(const VisitedSeries&, const tsdb::WindowSummary&)>;
  virtual bool VisitWindows(const std::vector<labels::Matcher>& matchers, int64_t range,
                            TimestampMs maxt, bool with_resets, const WindowFn& fn) const {
    return false;
  }
  // The SelectionId VisitWindows(matchers, ...) would give its series, without visiting.
  virtual SelectionId Identify(const std::vector<labels::Matcher>& matchers) const { return {}; }
  // A number that changes whenever what the series hold may have (tsdb::Head::generation);
  // 0 when the storage cannot say. While it stays the same, the labels VisitWindows handed
  // over stay valid (the engine keeps pointers to them: WindowMemo).
  virtual uint64_t generation() const { return 0; }
  virtual std::vector<SeriesView> Select(const SelectHints& hints,
                                         const std::vector<labels::Matcher>& matchers) const = 0;
  // Every sample of every matching series.
  std::vector<SeriesView> Select(const std::vector<labels::Matcher>& matchers) const {
    return Select(SelectHints{}, matchers);
  }
};

// A Queryable over the evaluator's head, made for one query: the head keeps compressed
// chunks, so Select decodes, per selected series, only the chunks overlapping the hinted
// range and keeps only the samples inside it, into a buffer this object owns (shared by
// selectors asking for the same series and range); the views it returns live as long as
// it does. The head must not be appended to or truncated while it is alive (the cache is
// keyed by series and holds their label sets).
class HeadQueryable : public Queryable {
 public:
  explicit HeadQueryable(const tsdb::Head& head) : head_(head) {}
  using Queryable::Select;
  std::vector<SeriesView> Select(const SelectHints& hints,
                                 const std::vector<labels::Matcher>& matchers) const override;
  // From the series' incremental window states (tsdb::MemSeries::Window).
  bool VisitWindows(const std::vector<labels::Matcher>& matchers, int64_t range, TimestampMs maxt,
                    bool with_resets, const WindowFn& fn) const override;
  SelectionId Identify(const std::vector<labels::Matcher>& matchers) const override;
  uint64_t generation() const override { return head_.generation(); }

 private:
  struct Key {
    const tsdb::MemSeries* series;
    TimestampMs start, end;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  const tsdb::Head& head_;
  // Node-based, so buffers never move while views point into them.
  mutable std::unordered_map<Key, std::vector<tsdb::Point>, KeyHash> decoded_;
};

// Prometheus's default lookback: an instant selector sees the newest sample in
// [t - 5m, t] (closed on both ends in Prometheus 2.42), unless it is a staleness marker.
inline constexpr int64_t kLookbackDeltaMs = 5 * 60 * 1000;

class GroupingCache;
class WindowMemo;

struct QueryOptions {
  int64_t lookback_ms = kLookbackDeltaMs;
  // The step of subqueries written without one (`x[5m:]`); Prometheus uses the global
  // evaluation interval.
  int64_t default_subquery_step_ms = 60 * 1000;
  // Prometheus's --query.max-samples default. vigil counts every sample and subquery step
  // a query touches (Prometheus counts those held at once), so a runaway query such as
  // `x[100y:1ms]` fails instead of running for hours.
  int64_t max_samples = 50'000'000;
  // What the queries of rule evaluations keep for the next ones (query_cache.h), if
  // anything: aggregations' groups per series, and window functions' values at one time.
  GroupingCache* grouping_cache = nullptr;
  WindowMemo* window_memo = nullptr;
};

// How far before the evaluation time `expr` reads samples: the longest range + offset
// (+ lookback for instant selectors, + inner reach for subqueries) of any selector; never
// negative. Selectors pinned with `@` read at fixed times and are reported by UsesAt()
// instead. The evaluator keeps at least this much history per rule.
int64_t MaxLookbehindMs(const Expr& expr, const QueryOptions& opts = {});
bool UsesAt(const Expr& expr);

// An instant query at `t` (Prometheus's engine.NewInstantQuery): any value type.
absl::StatusOr<Value> Query(const Expr& expr, const Queryable& q, TimestampMs t,
                            const QueryOptions& opts = {});

// A range query over [start, end] every `step` ms: one series per label set, sorted by
// labels. Only scalar and instant-vector expressions are allowed.
absl::StatusOr<Matrix> QueryRange(const Expr& expr, const Queryable& q, TimestampMs start,
                                  TimestampMs end, int64_t step, const QueryOptions& opts = {});

// Evaluates `expr` at `t` over `head`, like Prometheus's EngineQueryFunc for rules: a
// scalar result becomes a one-sample vector with no labels. Results are in no particular
// order.
absl::StatusOr<Vector> EvalInstant(const Expr& expr, TimestampMs t, const tsdb::Head& head,
                                   const QueryOptions& opts = {});

}  // namespace vigil::promql
