#include "lib/promql/functions.h"

#include <map>
#include <string>

namespace vigil::promql {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

const std::map<std::string, Function, std::less<>>& Table() {
  static const auto* table = [] {
    auto* t = new std::map<std::string, Function, std::less<>>();
    auto add = [t](std::string_view name, std::vector<ValueType> args, int variadic,
                   ValueType ret) {
      (*t)[std::string(name)] = Function{name, std::move(args), variadic, ret};
    };
    for (std::string_view f :
         {"abs",  "ceil",  "exp",  "floor", "ln",   "log2",   "log10", "sqrt",      "sgn",
          "acos", "acosh", "asin", "asinh", "atan", "atanh",  "cos",   "cosh",      "sin",
          "sinh", "tan",   "tanh", "deg",   "rad",  "absent", "sort",  "sort_desc", "timestamp"}) {
      add(f, {V}, 0, V);
    }
    for (std::string_view f : {"avg_over_time", "count_over_time", "max_over_time", "min_over_time",
                               "sum_over_time", "stddev_over_time", "stdvar_over_time",
                               "last_over_time", "present_over_time", "absent_over_time", "changes",
                               "resets", "rate", "irate", "increase", "delta", "idelta", "deriv"}) {
      add(f, {M}, 0, V);
    }
    for (std::string_view f : {"day_of_month", "day_of_week", "day_of_year", "days_in_month",
                               "hour", "minute", "month", "year"}) {
      add(f, {V}, 1, V);
    }
    add("clamp", {V, S, S}, 0, V);
    add("clamp_max", {V, S}, 0, V);
    add("clamp_min", {V, S}, 0, V);
    add("holt_winters", {M, S, S}, 0, V);
    add("histogram_quantile", {S, V}, 0, V);
    add("label_join", {V, Str, Str, Str}, -1, V);
    add("label_replace", {V, Str, Str, Str, Str}, 0, V);
    add("predict_linear", {M, S}, 0, V);
    add("quantile_over_time", {S, M}, 0, V);
    add("round", {V, S}, 1, V);
    add("scalar", {V}, 0, S);
    add("vector", {S}, 0, V);
    add("time", {}, 0, S);
    add("pi", {}, 0, S);
    return t;
  }();
  return *table;
}

}  // namespace

const Function* LookupFunction(std::string_view name) {
  auto it = Table().find(name);
  return it == Table().end() ? nullptr : &it->second;
}

}  // namespace vigil::promql
