// Binary operators: scalar/scalar, vector/scalar and vector/vector arithmetic and
// comparisons, the set operators (and, or, unless), and vector matching (on, ignoring,
// group_left, group_right) — Prometheus's VectorBinop, VectorAnd/Or/Unless.

#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "lib/base/format.h"
#include "lib/promql/evaluator.h"
#include "lib/promql/go_math.h"

namespace vigil::promql::internal {
namespace {

std::pair<double, bool> ElemBinop(BinOp op, double l, double r) {
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
      return {gomath::Pow(l, r), true};
    case BinOp::kMod:
      return {gomath::Mod(l, r), true};
    case BinOp::kAtan2:
      return {gomath::Atan2(l, r), true};
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

double ScalarBinop(BinOp op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

// Prometheus 2.42's shouldDropMetricName: arithmetic except atan2.
bool DropsName(BinOp op) { return !IsComparison(op) && !IsSetOp(op) && op != BinOp::kAtan2; }

std::string Signature(const labels::Labels& l, const VectorMatching& vm) {
  std::string k;
  AppendKey(l, Grouping{vm.matching_labels, vm.on, true}, &k);
  return k;
}

labels::Labels ResultMetric(const labels::Labels& lhs, const labels::Labels& rhs, BinOp op,
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

}  // namespace

Value Evaluator::EvalBinary(const Expr& e, int64_t t) {
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

Vector Evaluator::And(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
  std::unordered_set<std::string> right;
  for (const Sample& s : rhs) right.insert(Signature(s.metric, vm));
  Vector out;
  for (const Sample& s : lhs) {
    if (right.count(Signature(s.metric, vm))) out.push_back(s);
  }
  return out;
}

Vector Evaluator::Or(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
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

Vector Evaluator::Unless(const Vector& lhs, const Vector& rhs, const VectorMatching& vm) {
  std::unordered_set<std::string> right;
  for (const Sample& s : rhs) right.insert(Signature(s.metric, vm));
  Vector out;
  for (const Sample& s : lhs) {
    if (!right.count(Signature(s.metric, vm))) out.push_back(s);
  }
  return out;
}

Vector Evaluator::VectorBinop(BinOp op, Vector lhs, Vector rhs, const VectorMatching& vm,
                              bool return_bool) {
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

}  // namespace vigil::promql::internal
