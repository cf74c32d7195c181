#include "lib/promql/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/promql/functions.h"
#include "lib/promql/parser.h"
#include "re2/re2.h"

namespace vigil::promql {

size_t HeadQueryable::KeyHash::operator()(const Key& k) const {
  size_t h = std::hash<const void*>()(k.series);
  h = (h ^ std::hash<int64_t>()(k.start)) * 0x9e3779b97f4a7c15;
  return (h ^ std::hash<int64_t>()(k.end)) * 0x9e3779b97f4a7c15;
}

std::vector<SeriesView> HeadQueryable::Select(const SelectHints& hints,
                                              const std::vector<labels::Matcher>& matchers) const {
  std::vector<SeriesView> out;
  // Sorted by labels, as Prometheus's storage returns them: aggregation order depends on it.
  for (const tsdb::MemSeries* s : head_.SelectSorted(matchers)) {
    auto [it, inserted] = decoded_.try_emplace(Key{s, hints.start, hints.end});
    if (inserted) s->Decode(hints.start, hints.end, &it->second);
    out.push_back(SeriesView{&s->labels(), std::span<const tsdb::Point>(it->second)});
  }
  return out;
}

bool HeadQueryable::VisitWindows(const std::vector<labels::Matcher>& matchers, int64_t range,
                                 TimestampMs maxt, bool with_resets, const WindowFn& fn) const {
  for (const tsdb::MemSeries* s : head_.SelectSorted(matchers)) {
    fn(s->labels(), s->Window(range, maxt, with_resets));
  }
  return true;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

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

struct EvalError {
  std::string msg;
};
[[noreturn]] void Fail(std::string msg) { throw EvalError{std::move(msg)}; }

// Go's math.Max / math.Min (NaN wins, +Inf / -Inf win, signed zeros ordered).
double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

labels::Labels DropName(const labels::Labels& l) { return l.Without(labels::kMetricName); }

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

labels::Labels Filter(const labels::Labels& l, const Grouping& g) {
  std::vector<labels::LabelView> out;
  for (const labels::LabelView& lb : l) {
    if (g.Keeps(lb.name)) out.push_back(lb);
  }
  return labels::Labels::FromSorted(out.begin(), out.end());
}

labels::Labels Keep(const labels::Labels& l, const std::vector<std::string>& names) {
  return Filter(l, Grouping{names, true, false});
}

labels::Labels Drop(const labels::Labels& l, const std::vector<std::string>& names,
                    bool drop_name) {
  return Filter(l, Grouping{names, false, drop_name});
}

void AppendKey(const labels::LabelView& lb, std::string* k) {
  *k += lb.name;
  *k += '\xff';
  *k += lb.value;
  *k += '\xff';
}

std::string Key(const labels::Labels& l) {
  std::string k;
  for (const auto& lb : l) AppendKey(lb, &k);
  return k;
}

// Appends Key(Filter(l, g)) to *k without building the label set.
void AppendKey(const labels::Labels& l, const Grouping& g, std::string* k) {
  for (const auto& lb : l) {
    if (g.Keeps(lb.name)) AppendKey(lb, k);
  }
}

void CheckNoDuplicates(const Vector& v) {
  std::unordered_set<std::string> seen;
  for (const Sample& s : v) {
    if (!seen.insert(Key(s.metric)).second)
      Fail("vector cannot contain metrics with the same labelset");
  }
}

// Prometheus's quantile over a set of values (aggregation and quantile_over_time).
double Quantile(double q, std::vector<double> values) {
  if (values.empty()) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

struct Bucket {
  double upper;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket> b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!(std::isinf(b.back().upper) && b.back().upper > 0)) return kNaN;
  // coalesceBuckets
  std::vector<Bucket> c;
  for (const Bucket& x : b) {
    if (!c.empty() && c.back().upper == x.upper) {
      c.back().count += x.count;
    } else {
      c.push_back(x);
    }
  }
  // ensureMonotonic
  double max = -kInf;
  for (Bucket& x : c) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (c.size() < 2) return kNaN;
  double observations = c.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t i = 0;
  size_t n = c.size() - 1;
  {  // sort.Search(n, count >= rank)
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t h = (lo + hi) / 2;
      if (!(c[h].count >= rank))
        lo = h + 1;
      else
        hi = h;
    }
    i = lo;
  }
  if (i == c.size() - 1) return c[c.size() - 2].upper;
  if (i == 0 && c[0].upper <= 0) return c[0].upper;
  double start = 0, end = c[i].upper, count = c[i].count;
  if (i > 0) {
    start = c[i - 1].upper;
    count -= c[i - 1].count;
    rank -= c[i - 1].count;
  }
  return start + (end - start) * (rank / count);
}

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

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
struct Civil {
  int64_t year;
  int month, day, hour, minute, wday, yday;
};
Civil ToCivil(double secs) {
  // Go's int64(f) on amd64: NaN, Inf and out-of-range values become math.MinInt64. Years
  // that far out are clamped (no defined answer; avoids overflow).
  int64_t s = std::isfinite(secs) && std::fabs(secs) < 9.2e18 ? static_cast<int64_t>(secs)
                                                              : std::numeric_limits<int64_t>::min();
  s = std::clamp<int64_t>(s, -(int64_t{1} << 55), int64_t{1} << 55);
  int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  int64_t rem = s - days * 86400;
  Civil c;
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>((rem % 3600) / 60);
  c.wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = c.month <= 2 ? y + 1 : y;
  bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}
int DaysInMonth(int64_t year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Go's regexp.Expand for label_replace's replacement template.
std::string Expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                   const re2::RE2& re) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size(); i++) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      i++;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    bool braced = tmpl[j] == '{';
    if (braced) j++;
    size_t k = j;
    while (k < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[k])) || tmpl[k] == '_'))
      k++;
    name = std::string(tmpl.substr(j, k - j));
    if (braced) {
      if (k >= tmpl.size() || tmpl[k] != '}' || name.empty()) {
        out += tmpl[i];
        continue;
      }
      k++;
    }
    if (name.empty()) {
      out += tmpl[i];
      continue;
    }
    i = k - 1;
    bool numeric = std::all_of(name.begin(), name.end(),
                               [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) {
      size_t idx = std::strtoul(name.c_str(), nullptr, 10);
      if (idx < groups.size()) out += groups[idx];
    } else {
      auto it = names.find(name);
      if (it != names.end() && static_cast<size_t>(it->second) < groups.size())
        out += groups[it->second];
    }
  }
  return out;
}

class Evaluator {
 public:
  // `expr` is what will be evaluated at times in [start, end] (Eval may be called on its
  // subexpressions only): the hints each selector's Select gets are planned from it.
  Evaluator(const Expr& expr, const Queryable& q, int64_t start, int64_t end,
            const QueryOptions& opts)
      : q_(q), start_(start), end_(end), opts_(opts) {
    PlanHints(expr, start, end);
  }

  Value Eval(const Expr& e, int64_t t) {
    switch (e.kind) {
      case Expr::Kind::kNumber:
        return Scalar(e.number);
      case Expr::Kind::kString: {
        Value v;
        v.type = ValueType::kString;
        v.str = e.str;
        return v;
      }
      case Expr::Kind::kParen:
        return Eval(*e.lhs, t);
      case Expr::Kind::kVectorSelector: {
        Value v;
        v.type = ValueType::kVector;
        v.vector = SelectVector(e, t);
        return v;
      }
      case Expr::Kind::kMatrixSelector:
      case Expr::Kind::kSubquery: {
        Value v;
        v.type = ValueType::kMatrix;
        int64_t range;
        v.matrix = EvalMatrix(e, t, &range);
        return v;
      }
      case Expr::Kind::kUnary: {
        Value v = Eval(*e.lhs, t);
        if (e.op == BinOp::kSub) {
          if (v.type == ValueType::kScalar) {
            v.scalar = -v.scalar;
          } else {
            for (Sample& s : v.vector) {
              s.metric = DropName(s.metric);
              s.value = -s.value;
            }
            CheckNoDuplicates(v.vector);
          }
        }
        return v;
      }
      case Expr::Kind::kBinary:
        return EvalBinary(e, t);
      case Expr::Kind::kAggregate:
        return EvalAggregate(e, t);
      case Expr::Kind::kCall:
        return EvalCall(e, t);
    }
    Fail("unknown expression");
  }

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
  void PlanHints(const Expr& e, int64_t lo, int64_t hi) {
    auto at_range = [&](const Expr& x) {
      if (x.at == AtKind::kNone) return std::pair<int64_t, int64_t>(lo, hi);
      int64_t at = AtTime(x, lo);
      return std::pair<int64_t, int64_t>(at, at);
    };
    auto add = [&](const Expr& sel, int64_t back) {
      auto [a, b] = at_range(sel);
      SelectHints h{a - sel.offset_ms - back, b - sel.offset_ms};
      auto [it, inserted] = hints_.try_emplace(&sel, h);
      if (!inserted) {
        it->second.start = std::min(it->second.start, h.start);
        it->second.end = std::max(it->second.end, h.end);
      }
    };
    switch (e.kind) {
      case Expr::Kind::kVectorSelector:
        add(e, opts_.lookback_ms);
        return;
      case Expr::Kind::kMatrixSelector:
        add(*e.lhs, e.range_ms);
        return;
      case Expr::Kind::kSubquery: {
        // The inner expression runs at steps in [at - offset - range, at - offset].
        auto [a, b] = at_range(e);
        PlanHints(*e.lhs, a - e.offset_ms - e.range_ms, b - e.offset_ms);
        return;
      }
      default:
        break;
    }
    for (const Expr* c : {e.lhs.get(), e.rhs.get()}) {
      if (c != nullptr) PlanHints(*c, lo, hi);
    }
    for (const auto& a : e.args) PlanHints(*a, lo, hi);
  }

  const std::vector<SeriesView>& SelectSeries(const Expr& sel) {
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

  Vector SelectVector(const Expr& sel, int64_t t) {
    int64_t ref = AtTime(sel, t) - sel.offset_ms;
    Vector out;
    // The newest sample in [ref - lookback, ref] unless it is a staleness marker: from the
    // storage's window summaries when it has them, else from the selected points.
    auto visit = [&](const labels::Labels& l, const tsdb::WindowSummary& w) {
      if (w.count > 0 && !w.newest_is_stale) out.push_back(Sample{l, w.last.v, w.last.t});
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

  // A range vector at t; *range is set to the window length (for extrapolation).
  Matrix EvalMatrix(const Expr& e, int64_t t, int64_t* range) {
    *range = e.range_ms;
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
    if (e.kind == Expr::Kind::kParen) return EvalMatrix(*e.lhs, t, range);
    Fail("expected a range vector");
  }

  // --- binary operators -------------------------------------------------------------

  static std::pair<double, bool> ElemBinop(BinOp op, double l, double r) {
    switch (op) {
      case BinOp::kAdd:
        return {l + r, true};
      case BinOp::kSub:
        return {l - r, true};
      case BinOp::kMul:
        return {l * r, true};
      case BinOp::kDiv:
        return {l / r, true};
      case BinOp::kPow:
        return {std::pow(l, r), true};
      case BinOp::kMod:
        return {std::fmod(l, r), true};
      case BinOp::kAtan2:
        return {std::atan2(l, r), true};
      case BinOp::kEql:
        return {l, l == r};
      case BinOp::kNeq:
        return {l, l != r};
      case BinOp::kGtr:
        return {l, l > r};
      case BinOp::kLss:
        return {l, l < r};
      case BinOp::kGte:
        return {l, l >= r};
      case BinOp::kLte:
        return {l, l <= r};
      default:
        Fail(StrCat("operator \"", BinOpString(op), "\" not allowed here"));
    }
  }

  static double ScalarBinop(BinOp op, double l, double r) {
    auto [v, keep] = ElemBinop(op, l, r);
    if (IsComparison(op)) return keep ? 1 : 0;
    return v;
  }

  // Prometheus 2.42's shouldDropMetricName: arithmetic except atan2.
  static bool DropsName(BinOp op) {
    return !IsComparison(op) && !IsSetOp(op) && op != BinOp::kAtan2;
  }

  Value EvalBinary(const Expr& e, int64_t t) {
    Value l = Eval(*e.lhs, t);
    Value r = Eval(*e.rhs, t);
    if (l.type == ValueType::kScalar && r.type == ValueType::kScalar) {
      return Scalar(ScalarBinop(e.op, l.scalar, r.scalar));
    }
    Vector out;
    if (l.type == ValueType::kVector && r.type == ValueType::kVector) {
      VectorMatching vm = e.matching ? *e.matching : VectorMatching{};
      switch (e.op) {
        case BinOp::kAnd:
          out = And(l.vector, r.vector, vm);
          break;
        case BinOp::kOr:
          out = Or(l.vector, r.vector, vm);
          break;
        case BinOp::kUnless:
          out = Unless(l.vector, r.vector, vm);
          break;
        default:
          out = VectorBinop(e.op, l.vector, r.vector, vm, e.return_bool);
          break;
      }
    } else {
      bool swap = l.type == ValueType::kScalar;
      const Vector& vec = swap ? r.vector : l.vector;
      double scalar = swap ? l.scalar : r.scalar;
      for (const Sample& s : vec) {
        double lv = s.value, rv = scalar;
        if (swap) std::swap(lv, rv);
        auto [value, keep] = ElemBinop(e.op, lv, rv);
        if (IsComparison(e.op) && swap) value = rv;
        if (e.return_bool) {
          value = keep ? 1 : 0;
          keep = true;
        }
        if (!keep) continue;
        labels::Labels m = s.metric;
        if (DropsName(e.op) || e.return_bool) m = DropName(m);
        out.push_back(Sample{std::move(m), value, t});
      }
    }
    CheckNoDuplicates(out);
    return Vec(std::move(out));
  }

  static std::string Signature(const labels::Labels& l, const VectorMatching& vm) {
    std::string k;
    AppendKey(l, Grouping{vm.matching_labels, vm.on, true}, &k);
    return k;
  }

  Vector And(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
    std::unordered_set<std::string> right;
    for (const Sample& s : rhs) right.insert(Signature(s.metric, vm));
    Vector out;
    for (const Sample& s : lhs) {
      if (right.count(Signature(s.metric, vm))) out.push_back(s);
    }
    return out;
  }
  Vector Or(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
    std::unordered_set<std::string> left;
    Vector out;
    for (const Sample& s : lhs) {
      left.insert(Signature(s.metric, vm));
      out.push_back(s);
    }
    for (const Sample& s : rhs) {
      if (!left.count(Signature(s.metric, vm))) out.push_back(s);
    }
    return out;
  }
  Vector Unless(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
    std::unordered_set<std::string> right;
    for (const Sample& s : rhs) right.insert(Signature(s.metric, vm));
    Vector out;
    for (const Sample& s : lhs) {
      if (!right.count(Signature(s.metric, vm))) out.push_back(s);
    }
    return out;
  }

  Vector VectorBinop(BinOp op, Vector lhs, Vector rhs, const VectorMatching& vm, bool return_bool) {
    if (vm.card == Cardinality::kOneToMany) std::swap(lhs, rhs);
    std::unordered_map<std::string, const Sample*> right;
    for (const Sample& rs : rhs) {
      std::string sig = Signature(rs.metric, vm);
      auto [it, inserted] = right.emplace(sig, &rs);
      if (!inserted) {
        std::string side = vm.card == Cardinality::kOneToMany ? "left" : "right";
        labels::Labels matched = Filter(rs.metric, Grouping{vm.matching_labels, vm.on, true});
        Fail(StrCat(
            "found duplicate series for the match group ", matched.ToString(), " on the ", side,
            " hand-side of the operation: [", rs.metric.ToString(), ", ",
            it->second->metric.ToString(),
            "];many-to-many matching not allowed: matching labels must be unique on one side"));
      }
    }
    std::unordered_map<std::string, std::unordered_set<std::string>> matched;
    Vector out;
    for (const Sample& ls : lhs) {
      std::string sig = Signature(ls.metric, vm);
      auto it = right.find(sig);
      if (it == right.end()) continue;
      const Sample& rs = *it->second;
      double vl = ls.value, vr = rs.value;
      if (vm.card == Cardinality::kOneToMany) std::swap(vl, vr);
      auto [value, keep] = ElemBinop(op, vl, vr);
      if (return_bool) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      labels::Labels metric = ResultMetric(ls.metric, rs.metric, op, vm);
      if (return_bool) metric = DropName(metric);
      auto mit = matched.find(sig);
      if (vm.card == Cardinality::kOneToOne) {
        if (mit != matched.end()) {
          Fail(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
        }
        matched[sig];
      } else {
        std::string ins = Key(metric);
        if (!matched[sig].insert(ins).second) {
          Fail("multiple matches for labels: grouping labels must ensure unique matches");
        }
      }
      out.push_back(Sample{std::move(metric), value, 0});
    }
    return out;
  }

  static labels::Labels ResultMetric(const labels::Labels& lhs, const labels::Labels& rhs, BinOp op,
                                     const VectorMatching& vm) {
    labels::Labels m = lhs;
    if (DropsName(op)) m = DropName(m);
    if (vm.card == Cardinality::kOneToOne) {
      m = vm.on ? Keep(m, vm.matching_labels) : Drop(m, vm.matching_labels, false);
    }
    for (const std::string& ln : vm.include) {
      std::string_view v = rhs.Get(ln);
      m = v.empty() ? m.Without(ln) : m.With(ln, v);
    }
    return m;
  }

  // --- aggregation ------------------------------------------------------------------

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
  static void HeapUp(std::vector<Sample>& h, size_t j, Less less) {
    while (j > 0) {
      size_t i = (j - 1) / 2;
      if (i == j || !less(h[j], h[i])) break;
      std::swap(h[i], h[j]);
      j = i;
    }
  }
  template <typename Less>
  static bool HeapDown(std::vector<Sample>& h, size_t i0, size_t n, Less less) {
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

  Value EvalAggregate(const Expr& e, int64_t t) {
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
    auto add = [&](const labels::Labels& input, double v) {
      labels::Labels with_value;
      if (e.agg == AggOp::kCountValues) with_value = input.With(value_label, FormatFloatF(v));
      const labels::Labels& metric = e.agg == AggOp::kCountValues ? with_value : input;
      key.clear();
      AppendKey(metric, group_by, &key);
      auto it = index.find(key);
      bool inserted = it == index.end();
      if (inserted) it = index.emplace(key, groups.size()).first;
      if (inserted) {
        Group g;
        g.labels = Filter(metric, group_by);
        g.value = v;
        g.mean = v;
        g.count = 1;
        if (e.agg == AggOp::kStddev || e.agg == AggOp::kStdvar) g.value = 0;
        if (e.agg == AggOp::kGroup) g.value = 1;
        if (e.agg == AggOp::kTopk || e.agg == AggOp::kBottomk)
          g.heap.push_back(Sample{metric, v, t});
        if (e.agg == AggOp::kQuantile) g.values.push_back(v);
        groups.push_back(std::move(g));
        return;
      }
      Group& g = groups[it->second];
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
    if (fused_call == nullptr ||
        !EvalWindowCall(fused_call->func->name, *Unparen(fused_call->args[0].get()), t, add)) {
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
          auto less = e.agg == AggOp::kTopk ? +[](const Sample& a, const Sample& b) {
            if (std::isnan(a.value)) return true;
            return a.value < b.value;
          } : +[](const Sample& a, const Sample& b) {
            if (std::isnan(a.value)) return true;
            return a.value > b.value;
          };
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

  // --- functions --------------------------------------------------------------------

  static const Expr* Unparen(const Expr* e) {
    while (e->kind == Expr::Kind::kParen) e = e->lhs.get();
    return e;
  }

  Value EvalCall(const Expr& e, int64_t t) {
    std::string_view name = e.func->name;
    // Functions over a range vector.
    int matrix_arg = -1;
    for (size_t i = 0; i < e.args.size(); i++) {
      if (e.args[i]->type() == ValueType::kMatrix) matrix_arg = static_cast<int>(i);
    }
    if (matrix_arg >= 0) return EvalMatrixCall(e, t, matrix_arg);

    auto scalar_arg = [&](size_t i) { return Eval(*e.args[i], t).scalar; };
    auto string_arg = [&](size_t i) { return Eval(*e.args[i], t).str; };

    if (name == "time") return Scalar(static_cast<double>(t) / 1000);
    if (name == "pi") return Scalar(M_PI);
    if (name == "vector") return Vec({Sample{labels::Labels(), scalar_arg(0), t}});
    if (name == "scalar") {
      Value v = Eval(*e.args[0], t);
      return Scalar(v.vector.size() == 1 ? v.vector[0].value : kNaN);
    }

    Vector in;
    if (!e.args.empty()) {
      in = Eval(*e.args[0], t).vector;
    } else {
      in = {Sample{labels::Labels(), static_cast<double>(t) / 1000, t}};
    }
    Vector out;
    auto simple = [&](auto f) {
      for (const Sample& s : in) out.push_back(Sample{DropName(s.metric), f(s.value), t});
    };
    if (name == "abs")
      simple([](double v) { return std::fabs(v); });
    else if (name == "ceil")
      simple([](double v) { return std::ceil(v); });
    else if (name == "floor")
      simple([](double v) { return std::floor(v); });
    else if (name == "exp")
      simple([](double v) { return std::exp(v); });
    else if (name == "sqrt")
      simple([](double v) { return std::sqrt(v); });
    else if (name == "ln")
      simple([](double v) { return std::log(v); });
    else if (name == "log2")
      simple([](double v) { return std::log2(v); });
    else if (name == "log10")
      simple([](double v) { return std::log10(v); });
    else if (name == "sin")
      simple([](double v) { return std::sin(v); });
    else if (name == "cos")
      simple([](double v) { return std::cos(v); });
    else if (name == "tan")
      simple([](double v) { return std::tan(v); });
    else if (name == "asin")
      simple([](double v) { return std::asin(v); });
    else if (name == "acos")
      simple([](double v) { return std::acos(v); });
    else if (name == "atan")
      simple([](double v) { return std::atan(v); });
    else if (name == "sinh")
      simple([](double v) { return std::sinh(v); });
    else if (name == "cosh")
      simple([](double v) { return std::cosh(v); });
    else if (name == "tanh")
      simple([](double v) { return std::tanh(v); });
    else if (name == "asinh")
      simple([](double v) { return std::asinh(v); });
    else if (name == "acosh")
      simple([](double v) { return std::acosh(v); });
    else if (name == "atanh")
      simple([](double v) { return std::atanh(v); });
    else if (name == "deg")
      simple([](double v) { return v * 180 / M_PI; });
    else if (name == "rad")
      simple([](double v) { return v * M_PI / 180; });
    else if (name == "sgn")
      simple([](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; });
    else if (name == "timestamp") {
      bool raw = Unparen(e.args[0].get())->kind == Expr::Kind::kVectorSelector;
      for (const Sample& s : in) {
        out.push_back(Sample{DropName(s.metric), static_cast<double>(raw ? s.t : t) / 1000, t});
      }
    } else if (name == "round") {
      double to_nearest = e.args.size() > 1 ? scalar_arg(1) : 1;
      double inv = 1.0 / to_nearest;
      simple([&](double v) { return std::floor(v * inv + 0.5) / inv; });
    } else if (name == "clamp") {
      double min = scalar_arg(1), max = scalar_arg(2);
      if (max < min) return Vec({});
      simple([&](double v) { return GoMax(min, GoMin(max, v)); });
    } else if (name == "clamp_max") {
      double max = scalar_arg(1);
      simple([&](double v) { return GoMin(max, v); });
    } else if (name == "clamp_min") {
      double min = scalar_arg(1);
      simple([&](double v) { return GoMax(min, v); });
    } else if (name == "day_of_month")
      simple([](double v) { return double(ToCivil(v).day); });
    else if (name == "day_of_week")
      simple([](double v) { return double(ToCivil(v).wday); });
    else if (name == "day_of_year")
      simple([](double v) { return double(ToCivil(v).yday); });
    else if (name == "days_in_month")
      simple([](double v) {
        Civil c = ToCivil(v);
        return double(DaysInMonth(c.year, c.month));
      });
    else if (name == "hour")
      simple([](double v) { return double(ToCivil(v).hour); });
    else if (name == "minute")
      simple([](double v) { return double(ToCivil(v).minute); });
    else if (name == "month")
      simple([](double v) { return double(ToCivil(v).month); });
    else if (name == "year")
      simple([](double v) { return double(ToCivil(v).year); });
    else if (name == "sort" || name == "sort_desc") {
      out = in;
      bool desc = name == "sort_desc";
      std::stable_sort(out.begin(), out.end(), [desc](const Sample& a, const Sample& b) {
        // Prometheus 2.42 sorts NaN last in both directions.
        if (std::isnan(a.value)) return false;
        if (std::isnan(b.value)) return true;
        return desc ? a.value > b.value : a.value < b.value;
      });
      return Vec(std::move(out));
    } else if (name == "absent") {
      if (!in.empty()) return Vec({});
      return Vec({Sample{AbsentLabels(*e.args[0]), 1, t}});
    } else if (name == "histogram_quantile") {
      double q = scalar_arg(0);
      Vector vec = Eval(*e.args[1], t).vector;
      std::unordered_map<std::string, size_t> index;
      std::vector<std::pair<labels::Labels, std::vector<Bucket>>> groups;
      for (const Sample& s : vec) {
        double upper;
        if (!ParseNumber(s.metric.Get("le"), &upper)) continue;
        labels::Labels l = Drop(s.metric, {"le"}, true);
        // The name is part of the grouping (prometheus#9910) but not of the result.
        auto [it, inserted] =
            index.emplace(Key(l) + std::string(s.metric.Get(labels::kMetricName)), groups.size());
        if (inserted) groups.push_back({l, {}});
        groups[it->second].second.push_back(Bucket{upper, s.value});
      }
      for (auto& [l, b] : groups) out.push_back(Sample{l, BucketQuantile(q, b), t});
    } else if (name == "label_replace") {
      std::string dst = string_arg(1), repl = string_arg(2), src = string_arg(3),
                  regex = string_arg(4);
      re2::RE2::Options o;
      o.set_dot_nl(true);
      o.set_log_errors(false);
      re2::RE2 re(StrCat("^(?:", regex, ")$"), o);
      if (!re.ok()) Fail(StrCat("invalid regular expression in label_replace(): ", regex));
      if (!labels::IsValidLabelName(dst))
        Fail(StrCat("invalid destination label name in label_replace(): ", dst));
      int n = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> groups(n);
      for (const Sample& s : in) {
        std::string_view val = s.metric.Get(src);
        re2::StringPiece input(val.data(), val.size());
        if (re.Match(input, 0, val.size(), re2::RE2::UNANCHORED, groups.data(), n)) {
          std::vector<std::string_view> g;
          for (auto& p : groups)
            g.emplace_back(p.data() ? std::string_view(p.data(), p.size()) : std::string_view());
          std::string res = Expand(repl, g, re);
          out.push_back(
              Sample{res.empty() ? s.metric.Without(dst) : s.metric.With(dst, res), s.value, t});
        } else {
          out.push_back(s);
        }
      }
    } else if (name == "label_join") {
      std::string dst = string_arg(1), sep = string_arg(2);
      std::vector<std::string> srcs;
      for (size_t i = 3; i < e.args.size(); i++) {
        srcs.push_back(string_arg(i));
        if (!labels::IsValidLabelName(srcs.back()))
          Fail(StrCat("invalid source label name in label_join(): ", srcs.back()));
      }
      if (!labels::IsValidLabelName(dst))
        Fail(StrCat("invalid destination label name in label_join(): ", dst));
      for (const Sample& s : in) {
        std::string res;
        for (size_t i = 0; i < srcs.size(); i++) {
          if (i > 0) res += sep;
          res += s.metric.Get(srcs[i]);
        }
        out.push_back(
            Sample{res.empty() ? s.metric.Without(dst) : s.metric.With(dst, res), s.value, t});
      }
    } else {
      Fail(StrCat("function \"", name, "\" is not implemented"));
    }
    CheckNoDuplicates(out);
    return Vec(std::move(out));
  }

  static labels::Labels AbsentLabels(const Expr& arg0) {
    const Expr* a = Unparen(&arg0);
    if (a->kind == Expr::Kind::kMatrixSelector) a = a->lhs.get();
    if (a->kind != Expr::Kind::kVectorSelector) return labels::Labels();
    std::vector<labels::Label> out;
    std::vector<std::string> empty;
    for (const auto& m : a->selector.matchers) {
      if (m.name() == labels::kMetricName) continue;
      bool has = std::any_of(out.begin(), out.end(),
                             [&](const labels::Label& l) { return l.name == m.name(); });
      if (m.type() == labels::MatchType::kEqual && !has) {
        out.push_back({m.name(), m.value()});
      } else {
        empty.push_back(m.name());
      }
    }
    return Drop(labels::Labels(std::move(out)), empty, false);
  }

  Value EvalMatrixCall(const Expr& e, int64_t t, int matrix_arg) {
    std::string_view name = e.func->name;
    const Expr& marg = *e.args[matrix_arg];
    const Expr* mu = Unparen(&marg);
    if (mu->kind == Expr::Kind::kMatrixSelector && IsWindowFunction(name)) {
      if (std::optional<Value> v = EvalWindowCall(name, *mu, t)) return std::move(*v);
    }
    int64_t range = 0;
    Matrix m = EvalMatrix(*mu, t, &range);
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

  // Functions EvalWindowCall computes from window summaries.
  static bool IsWindowFunction(std::string_view name) {
    return name == "rate" || name == "increase" || name == "delta" || name == "irate" ||
           name == "idelta" || name == "resets" || name == "count_over_time" ||
           name == "last_over_time" || name == "present_over_time";
  }

  // `name`(sel[range]) from the storage's window summaries, without decoding the window;
  // nullopt when the storage has none. Same results, bit for bit, as MatrixFunc over the
  // points (the summaries hold exactly what these functions read of them).
  std::optional<Value> EvalWindowCall(std::string_view name, const Expr& matrix, int64_t t) {
    Vector out;
    auto sink = [&](const labels::Labels& l, double v) {
      out.push_back(Sample{name == "last_over_time" ? l : DropName(l), v, t});
    };
    if (!EvalWindowCall(name, matrix, t, sink)) return std::nullopt;
    // Distinct series stay distinct when the name they all share is dropped.
    if (!SelectsOneName(*matrix.lhs)) CheckNoDuplicates(out);
    return Vec(std::move(out));
  }

  // The same, handing each series' labels (name not dropped) and value to `sink` in the
  // order of the series; false when the storage has no window summaries.
  template <typename Sink>
  bool EvalWindowCall(std::string_view name, const Expr& matrix, int64_t t, Sink& sink) {
    const Expr& sel = *matrix.lhs;
    const int64_t range = matrix.range_ms;
    const int64_t range_end = AtTime(sel, t) - sel.offset_ms;
    const int64_t range_start = range_end - range;
    bool with_resets = name == "rate" || name == "increase" || name == "resets";
    auto visit = [&](const labels::Labels& l, const tsdb::WindowSummary& s) {
      Charge(s.count);
      if (s.count == 0) return;
      std::optional<double> r;
      if (name == "rate" || name == "increase" || name == "delta") {
        bool is_counter = name != "delta";
        if (s.count >= 2) {
          double result = s.last.v - s.first.v;
          if (is_counter) {
            // Prometheus's correction loop compares the first sample with 0, then adds the
            // value before each drop, oldest first.
            if (s.first.v < 0) result += 0;
            for (double prev : s.reset_prev_values) result += prev;
          }
          r = Extrapolate(result, s.first, s.last, s.count, is_counter, name == "rate",
                          range_start, range_end, range);
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
      if (r) sink(l, *r);
    };
    return q_.VisitWindows(sel.selector.matchers, range, range_end, with_resets, visit);
  }

  // The window call `e` aggregates when EvalAggregate may fuse the two, else null.
  const Expr* FusableWindowCall(const Expr& e) const {
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
    if (!e.without && std::find(e.grouping.begin(), e.grouping.end(), labels::kMetricName) !=
                          e.grouping.end()) {
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

  // Whether every series `sel` selects has the same metric name.
  static bool SelectsOneName(const Expr& sel) {
    return std::any_of(sel.selector.matchers.begin(), sel.selector.matchers.end(),
                       [](const labels::Matcher& m) {
                         return m.name() == labels::kMetricName &&
                                m.type() == labels::MatchType::kEqual;
                       });
  }

  // irate / idelta from the last two samples.
  static std::optional<double> InstantDelta(bool is_rate, const tsdb::Point& prev,
                                            const tsdb::Point& last) {
    double r = is_rate && last.v < prev.v ? last.v : last.v - prev.v;
    int64_t interval = last.t - prev.t;
    if (interval == 0) return std::nullopt;
    if (is_rate) r /= static_cast<double>(interval) / 1000;
    return r;
  }

  static std::optional<double> ExtrapolatedRate(const std::vector<tsdb::Point>& p, bool is_counter,
                                                bool is_rate, int64_t range_start,
                                                int64_t range_end, int64_t range) {
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

  // Prometheus 2.42's extrapolatedRate after the raw (counter-corrected) difference.
  static double Extrapolate(double result, const tsdb::Point& first, const tsdb::Point& last,
                            size_t n, bool is_counter, bool is_rate, int64_t range_start,
                            int64_t range_end, int64_t range) {
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

  static std::optional<double> MatrixFunc(std::string_view name, const std::vector<tsdb::Point>& p,
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

  const Queryable& q_;
  int64_t start_, end_;
  QueryOptions opts_;
  int64_t samples_ = 0;
  std::unordered_map<const Expr*, SelectHints> hints_;
  std::unordered_map<const Expr*, std::vector<SeriesView>> cache_;
};

}  // namespace

int64_t MaxLookbehindMs(const Expr& e, const QueryOptions& opts) {
  int64_t own = 0;
  switch (e.kind) {
    case Expr::Kind::kVectorSelector:
      if (e.at == AtKind::kNone) own = opts.lookback_ms + e.offset_ms;
      break;
    case Expr::Kind::kMatrixSelector:
      if (e.lhs->at == AtKind::kNone) own = e.range_ms + e.lhs->offset_ms;
      return std::max<int64_t>(own, 0);
    case Expr::Kind::kSubquery:
      if (e.at == AtKind::kNone) own = e.range_ms + e.offset_ms + MaxLookbehindMs(*e.lhs, opts);
      return std::max<int64_t>(own, 0);
    default:
      break;
  }
  for (const Expr* c : {e.lhs.get(), e.rhs.get()}) {
    if (c != nullptr) own = std::max(own, MaxLookbehindMs(*c, opts));
  }
  for (const auto& a : e.args) own = std::max(own, MaxLookbehindMs(*a, opts));
  return std::max<int64_t>(own, 0);
}

bool UsesAt(const Expr& e) {
  if ((e.kind == Expr::Kind::kVectorSelector || e.kind == Expr::Kind::kSubquery) &&
      e.at != AtKind::kNone)
    return true;
  for (const Expr* c : {e.lhs.get(), e.rhs.get()}) {
    if (c != nullptr && UsesAt(*c)) return true;
  }
  for (const auto& a : e.args) {
    if (UsesAt(*a)) return true;
  }
  return false;
}

absl::StatusOr<Value> Query(const Expr& expr, const Queryable& q, TimestampMs t,
                            const QueryOptions& opts) {
  try {
    Evaluator ev(expr, q, t, t, opts);
    return ev.Eval(expr, t);
  } catch (const EvalError& e) {
    return absl::InvalidArgumentError(e.msg);
  }
}

absl::StatusOr<Matrix> QueryRange(const Expr& expr, const Queryable& q, TimestampMs start,
                                  TimestampMs end, int64_t step, const QueryOptions& opts) {
  ValueType ty = expr.type();
  if (ty != ValueType::kScalar && ty != ValueType::kVector) {
    return absl::InvalidArgumentError(
        StrCat("invalid expression type \"", ValueTypeName(ty),
               "\" for range query, must be Scalar or instant Vector"));
  }
  if (step <= 0)
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted");
  try {
    Evaluator ev(expr, q, start, end, opts);
    std::map<labels::Labels, std::vector<tsdb::Point>> series;
    for (int64_t ts = start; ts <= end; ts += step) {
      Value v = ev.Eval(expr, ts);
      if (v.type == ValueType::kScalar) {
        series[labels::Labels()].push_back({ts, v.scalar});
      } else {
        for (const Sample& s : v.vector) series[s.metric].push_back({ts, s.value});
      }
    }
    Matrix out;
    for (auto& [l, p] : series) out.push_back(Series{l, std::move(p)});
    return out;
  } catch (const EvalError& e) {
    return absl::InvalidArgumentError(e.msg);
  }
}

absl::StatusOr<Vector> EvalInstant(const Expr& expr, TimestampMs t, const tsdb::Head& head) {
  HeadQueryable q(head);
  absl::StatusOr<Value> v = Query(expr, q, t);
  if (!v.ok()) return v.status();
  switch (v->type) {
    case ValueType::kScalar:
      return Vector{Sample{labels::Labels(), v->scalar, t}};
    case ValueType::kVector:
      return std::move(v->vector);
    default:
      return absl::InvalidArgumentError("rule result is not a vector or scalar");
  }
}

}  // namespace vigil::promql
