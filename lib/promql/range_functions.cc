// Functions of range vectors: rate, increase and delta with Prometheus's extrapolation,
// irate and idelta, deriv, predict_linear, holt_winters, resets, changes and the
// *_over_time family — over decoded points, or over the storage's window summaries where
// those hold all a function reads (EvalWindowCall, its template in evaluator.h).

#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/base/format.h"
#include "lib/promql/evaluator.h"
#include "lib/promql/functions.h"

namespace vigil::promql::internal {
namespace {

// Prometheus's kahanSumInc: Kahan-Babuska-Neumaier compensated summation.
void KahanSumInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

double KahanResult(double sum, double c) { return std::isinf(sum) ? sum : sum + c; }

std::pair<double, double> LinearRegression(std::span<const tsdb::Point> pts,
                                           int64_t intercept_time) {
  double n = 0, sum_x = 0, sum_y = 0, sum_xy = 0, sum_x2 = 0;
  double c_x = 0, c_y = 0, c_xy = 0, c_x2 = 0;
  double init_y = pts[0].v;
  bool const_y = true;
  for (size_t i = 0; i < pts.size(); i++) {
    if (const_y && i > 0 && pts[i].v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(pts[i].t - intercept_time) / 1e3;
    KahanSumInc(x, &sum_x, &c_x);
    KahanSumInc(pts[i].v, &sum_y, &c_y);
    KahanSumInc(x * pts[i].v, &sum_xy, &c_xy);
    KahanSumInc(x * x, &sum_x2, &c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  double slope = cov_xy / var_x;
  double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

std::optional<double> ExtrapolatedRate(const std::vector<tsdb::Point>& p, bool is_counter,
                                       bool is_rate, int64_t range_start, int64_t range_end,
                                       int64_t range) {
  if (p.size() < 2) return std::nullopt;
  double result = p.back().v - p.front().v;
  if (is_counter) {
    double last = 0;
    for (const auto& s : p) {
      if (s.v < last) result += last;
      last = s.v;
    }
  }
  return Extrapolate(result, p.front(), p.back(), p.size(), is_counter, is_rate, range_start,
                     range_end, range);
}

std::optional<double> MatrixFunc(std::string_view name, const std::vector<tsdb::Point>& p,
                                 const std::vector<double>& scalars, int64_t range_start,
                                 int64_t range_end, int64_t range, int64_t t) {
  if (name == "rate") return ExtrapolatedRate(p, true, true, range_start, range_end, range);
  if (name == "increase") return ExtrapolatedRate(p, true, false, range_start, range_end, range);
  if (name == "delta") return ExtrapolatedRate(p, false, false, range_start, range_end, range);
  if (name == "irate" || name == "idelta") {
    if (p.size() < 2) return std::nullopt;
    return InstantDelta(name == "irate", p[p.size() - 2], p[p.size() - 1]);
  }
  if (name == "deriv") {
    if (p.size() < 2) return std::nullopt;
    return LinearRegression(p, p[0].t).first;
  }
  if (name == "predict_linear") {
    if (p.size() < 2) return std::nullopt;
    auto [slope, intercept] = LinearRegression(p, t);
    return slope * scalars[0] + intercept;
  }
  if (name == "holt_winters") {
    if (p.size() < 2) return std::nullopt;
    double sf = scalars[0], tf = scalars[1];
    double s0 = 0, s1 = p[0].v, b = p[1].v - p[0].v;
    for (size_t i = 1; i < p.size(); i++) {
      double x = sf * p[i].v;
      if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
      double y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  }
  if (name == "resets" || name == "changes") {
    int n = 0;
    double prev = p[0].v;
    for (size_t i = 1; i < p.size(); i++) {
      double cur = p[i].v;
      if (name == "resets" ? cur < prev : (cur != prev && !(std::isnan(cur) && std::isnan(prev))))
        n++;
      prev = cur;
    }
    return n;
  }
  if (name == "avg_over_time") {
    double mean = 0, count = 0, c = 0;
    for (const auto& s : p) {
      count++;
      if (std::isinf(mean)) {
        if (std::isinf(s.v) && (mean > 0) == (s.v > 0)) continue;
        if (!std::isinf(s.v) && !std::isnan(s.v)) continue;
      }
      KahanSumInc(s.v / count - mean / count, &mean, &c);
    }
    return KahanResult(mean, c);
  }
  if (name == "count_over_time") return static_cast<double>(p.size());
  if (name == "present_over_time") return 1;
  if (name == "last_over_time") return p.back().v;
  if (name == "sum_over_time") {
    double sum = 0, c = 0;
    for (const auto& s : p) KahanSumInc(s.v, &sum, &c);
    return KahanResult(sum, c);
  }
  if (name == "max_over_time") {
    double max = p[0].v;
    for (const auto& s : p) {
      if (s.v > max || std::isnan(max)) max = s.v;
    }
    return max;
  }
  if (name == "min_over_time") {
    double min = p[0].v;
    for (const auto& s : p) {
      if (s.v < min || std::isnan(min)) min = s.v;
    }
    return min;
  }
  if (name == "stddev_over_time" || name == "stdvar_over_time") {
    double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
    for (const auto& s : p) {
      count++;
      double delta = s.v - (mean + c_mean);
      KahanSumInc(delta / count, &mean, &c_mean);
      KahanSumInc(delta * (s.v - (mean + c_mean)), &aux, &c_aux);
    }
    double var = (aux + c_aux) / count;
    return name == "stddev_over_time" ? std::sqrt(var) : var;
  }
  if (name == "quantile_over_time") {
    std::vector<double> values;
    for (const auto& s : p) values.push_back(s.v);
    return Quantile(scalars[0], values);
  }
  Fail(StrCat("function \"", name, "\" is not implemented"));
}

}  // namespace

// Functions EvalWindowCall computes from window summaries.
bool IsWindowFunction(std::string_view name) {
  return name == "rate" || name == "increase" || name == "delta" || name == "irate" ||
         name == "idelta" || name == "resets" || name == "count_over_time" ||
         name == "last_over_time" || name == "present_over_time";
}

// Whether every series `sel` selects has the same metric name.
bool SelectsOneName(const Expr& sel) {
  return std::any_of(
      sel.selector.matchers.begin(), sel.selector.matchers.end(), [](const labels::Matcher& m) {
        return m.name() == labels::kMetricName && m.type() == labels::MatchType::kEqual;
      });
}

// irate / idelta from the last two samples.
std::optional<double> InstantDelta(bool is_rate, const tsdb::Point& prev, const tsdb::Point& last) {
  double r = is_rate && last.v < prev.v ? last.v : last.v - prev.v;
  int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (is_rate) r /= static_cast<double>(interval) / 1000;
  return r;
}

// Prometheus 2.42's extrapolatedRate after the raw (counter-corrected) difference.
double Extrapolate(double result, const tsdb::Point& first, const tsdb::Point& last, size_t n,
                   bool is_counter, bool is_rate, int64_t range_start, int64_t range_end,
                   int64_t range) {
  double to_start = static_cast<double>(first.t - range_start) / 1000;
  double to_end = static_cast<double>(range_end - last.t) / 1000;
  double sampled = static_cast<double>(last.t - first.t) / 1000;
  double avg = sampled / static_cast<double>(n - 1);
  if (is_counter && result > 0 && first.v >= 0) {
    double to_zero = sampled * (first.v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg / 2;
  interval += to_end < threshold ? to_end : avg / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(range) / 1000;
  return result * factor;
}

Value Evaluator::EvalMatrixCall(const Expr& e, int64_t t, int matrix_arg) {
  std::string_view name = e.func->name;
  const Expr& marg = *e.args[matrix_arg];
  const Expr* mu = Unparen(&marg);
  if (mu->kind == Expr::Kind::kMatrixSelector && IsWindowFunction(name)) {
    if (std::optional<Value> v = EvalWindowCall(name, *mu, t)) return std::move(*v);
  }
  const int64_t range = mu->range_ms;  // the window length, for extrapolation
  Matrix m = EvalMatrix(*mu, t);
  int64_t range_end = mu->kind == Expr::Kind::kMatrixSelector
                          ? AtTime(*mu->lhs, t) - mu->lhs->offset_ms
                          : AtTime(*mu, t) - mu->offset_ms;
  int64_t range_start = range_end - range;
  std::vector<double> scalars;
  for (size_t i = 0; i < e.args.size(); i++) {
    if (static_cast<int>(i) != matrix_arg) scalars.push_back(Eval(*e.args[i], t).scalar);
  }
  Vector out;
  if (name == "absent_over_time") {
    for (const Series& s : m) {
      if (!s.points.empty()) return Vec({});
    }
    return Vec({Sample{AbsentLabels(marg), 1, t}});
  }
  if (name == "holt_winters") {
    double sf = scalars[0], tf = scalars[1];
    auto go_f = [](double v) {  // Go's %f
      char buf[512];
      snprintf(buf, sizeof(buf), "%f", v);
      return std::string(buf);
    };
    if (sf <= 0 || sf >= 1)
      Fail(StrCat("invalid smoothing factor. Expected: 0 < sf < 1, got: ", go_f(sf)));
    if (tf <= 0 || tf >= 1)
      Fail(StrCat("invalid trend factor. Expected: 0 < tf < 1, got: ", go_f(tf)));
  }
  for (const Series& s : m) {
    const auto& p = s.points;
    if (p.empty()) continue;
    std::optional<double> r = MatrixFunc(name, p, scalars, range_start, range_end, range, t);
    if (!r) continue;
    labels::Labels metric = name == "last_over_time" ? s.metric : DropName(s.metric);
    out.push_back(Sample{std::move(metric), *r, t});
  }
  CheckNoDuplicates(out);
  return Vec(std::move(out));
}

// `name`(sel[range]) from the storage's window summaries, without decoding the window;
// nullopt when the storage has none. Same results, bit for bit, as MatrixFunc over the
// points (the summaries hold exactly what these functions read of them).
std::optional<Value> Evaluator::EvalWindowCall(std::string_view name, const Expr& matrix,
                                               int64_t t) {
  Vector out;
  auto sink = [&](const VisitedSeries& s, double v) {
    out.push_back(Sample{name == "last_over_time" ? s.labels : DropName(s.labels), v, t});
  };
  if (!EvalWindowCall(name, matrix, t, sink)) return std::nullopt;
  // Distinct series stay distinct when the name they all share is dropped.
  if (!SelectsOneName(*matrix.lhs)) CheckNoDuplicates(out);
  return Vec(std::move(out));
}

}  // namespace vigil::promql::internal
