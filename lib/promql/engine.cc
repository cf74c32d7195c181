#include "lib/promql/engine.h"

#include <algorithm>

#include "lib/codec/samples.h"

namespace vigil::promql {
namespace {

bool Compare(BinOp op, double a, double b) {
  switch (op) {
    case BinOp::kEql: return a == b;
    case BinOp::kNeq: return a != b;
    case BinOp::kGtr: return a > b;
    case BinOp::kLss: return a < b;
    case BinOp::kGte: return a >= b;
    case BinOp::kLte: return a <= b;
  }
  return false;
}

Vector SelectInstant(const VectorSelector& sel, TimestampMs t, const tsdb::Head& head) {
  Vector out;
  for (const tsdb::MemSeries* s : head.Select(sel.matchers)) {
    auto it = std::upper_bound(s->points.begin(), s->points.end(), t,
                               [](TimestampMs ts, const tsdb::Point& p) { return ts < p.t; });
    if (it == s->points.begin()) continue;
    const tsdb::Point& p = *std::prev(it);
    if (p.t < t - kLookbackDeltaMs || codec::IsStaleNaN(p.v)) continue;
    out.push_back(Sample{s->labels, p.v});
  }
  return out;
}

}  // namespace

absl::StatusOr<Vector> EvalInstant(const Expr& expr, TimestampMs t, const tsdb::Head& head) {
  switch (expr.kind) {
    case Expr::Kind::kNumber:
      return Vector{Sample{labels::Labels(), expr.number.value}};
    case Expr::Kind::kVectorSelector:
      return SelectInstant(expr.selector, t, head);
    case Expr::Kind::kBinary: {
      const BinaryExpr& b = expr.binary;
      bool vector_left = b.lhs->kind == Expr::Kind::kVectorSelector;
      const Expr& vec_expr = vector_left ? *b.lhs : *b.rhs;
      const Expr& num_expr = vector_left ? *b.rhs : *b.lhs;
      if (vec_expr.kind != Expr::Kind::kVectorSelector) {
        // scalar OP bool scalar
        double r = Compare(b.op, b.lhs->number.value, b.rhs->number.value) ? 1 : 0;
        return Vector{Sample{labels::Labels(), r}};
      }
      double scalar = num_expr.number.value;
      Vector out;
      for (Sample& s : SelectInstant(vec_expr.selector, t, head)) {
        bool holds = vector_left ? Compare(b.op, s.value, scalar) : Compare(b.op, scalar, s.value);
        if (b.return_bool) {
          out.push_back(Sample{s.metric.Without(labels::kMetricName), holds ? 1.0 : 0.0});
        } else if (holds) {
          out.push_back(std::move(s));
        }
      }
      return out;
    }
  }
  return absl::InternalError("unknown expression kind");
}

}  // namespace vigil::promql
