#pragma once

// Helpers shared by the evaluator's files (evaluator.h and the .cc files beside it):
// errors, label-set grouping and keys, quantiles, and the function helpers more than one
// kind of expression needs. Internal to lib/promql; nothing outside includes it.

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "lib/promql/engine.h"

namespace vigil::promql::internal {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// An evaluation error: thrown anywhere below Evaluator::Eval, turned into an
// InvalidArgument status by the public entry points (engine.cc).
struct EvalError {
  std::string msg;
};
[[noreturn]] void Fail(std::string msg);

// --- label sets (grouping.cc) ----------------------------------------------------------

labels::Labels DropName(const labels::Labels& l);

// Which labels a grouping keeps: the listed ones (`by`, `on`), or all but the listed ones
// and, when `drop_name`, the metric name (`without`, `ignoring`).
struct Grouping {
  const std::vector<std::string>& names;
  bool keep_listed;
  bool drop_name;
  bool Keeps(std::string_view name) const {
    bool listed = std::find(names.begin(), names.end(), name) != names.end();
    if (keep_listed) return listed;
    return !listed && !(drop_name && name == labels::kMetricName);
  }
};

labels::Labels Filter(const labels::Labels& l, const Grouping& g);
labels::Labels Keep(const labels::Labels& l, const std::vector<std::string>& names);
labels::Labels Drop(const labels::Labels& l, const std::vector<std::string>& names, bool drop_name);

// A string identifying a label set (map key).
void AppendKey(const labels::LabelView& lb, std::string* k);
std::string Key(const labels::Labels& l);
// Appends Key(Filter(l, g)) to *k without building the label set.
void AppendKey(const labels::Labels& l, const Grouping& g, std::string* k);

// Fails when two samples of `v` have the same label set.
void CheckNoDuplicates(const Vector& v);

// --- quantiles (quantile.cc) -----------------------------------------------------------

// Prometheus's quantile over a set of values (aggregation and quantile_over_time).
double Quantile(double q, std::vector<double> values);

struct Bucket {
  double upper;
  double count;
};

// Prometheus's bucketQuantile (histogram_quantile).
double BucketQuantile(double q, std::vector<Bucket> b);

// --- function helpers ------------------------------------------------------------------

inline const Expr* Unparen(const Expr* e) {
  while (e->kind == Expr::Kind::kParen) e = e->lhs.get();
  return e;
}

// The labels absent() and absent_over_time() return for their argument
// (instant_functions.cc).
labels::Labels AbsentLabels(const Expr& arg0);

// Functions EvalWindowCall computes from window summaries (range_functions.cc).
bool IsWindowFunction(std::string_view name);

// Whether every series `sel` selects has the same metric name.
bool SelectsOneName(const Expr& sel);

// irate / idelta from the last two samples.
std::optional<double> InstantDelta(bool is_rate, const tsdb::Point& prev, const tsdb::Point& last);

// Prometheus 2.42's extrapolatedRate after the raw (counter-corrected) difference.
double Extrapolate(double result, const tsdb::Point& first, const tsdb::Point& last, size_t n,
                   bool is_counter, bool is_rate, int64_t range_start, int64_t range_end,
                   int64_t range);

}  // namespace vigil::promql::internal
