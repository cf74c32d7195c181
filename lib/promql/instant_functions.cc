// Functions of instant vectors and scalars: math, clamping and rounding, date and time,
// sort, absent, histogram_quantile, label_replace and label_join (Prometheus's
// promql/functions.go, those without a range-vector argument).

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/base/format.h"
#include "lib/promql/evaluator.h"
#include "lib/promql/functions.h"
#include "lib/promql/go_math.h"
#include "lib/promql/parser.h"
#include "re2/re2.h"

namespace vigil::promql::internal {
namespace {

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

}  // namespace

labels::Labels AbsentLabels(const Expr& arg0) {
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

Value Evaluator::EvalCall(const Expr& e, int64_t t) {
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
    simple(gomath::Exp);
  else if (name == "sqrt")
    simple([](double v) { return std::sqrt(v); });
  else if (name == "ln")
    simple(gomath::Log);
  else if (name == "log2")
    simple(gomath::Log2);
  else if (name == "log10")
    simple(gomath::Log10);
  else if (name == "sin")
    simple(gomath::Sin);
  else if (name == "cos")
    simple(gomath::Cos);
  else if (name == "tan")
    simple(gomath::Tan);
  else if (name == "asin")
    simple(gomath::Asin);
  else if (name == "acos")
    simple(gomath::Acos);
  else if (name == "atan")
    simple(gomath::Atan);
  else if (name == "sinh")
    simple(gomath::Sinh);
  else if (name == "cosh")
    simple(gomath::Cosh);
  else if (name == "tanh")
    simple(gomath::Tanh);
  else if (name == "asinh")
    simple(gomath::Asinh);
  else if (name == "acosh")
    simple(gomath::Acosh);
  else if (name == "atanh")
    simple(gomath::Atanh);
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

}  // namespace vigil::promql::internal
