// The query entry points (Query, QueryRange, EvalInstant, MaxLookbehindMs, UsesAt) and
// the evaluator's core: the dispatch on expression kinds and the planning of the samples
// each selector reads. The kinds of expression are evaluated in the files evaluator.h
// lists.

#include "lib/promql/engine.h"

#include <algorithm>
#include <map>

#include "lib/base/format.h"
#include "lib/promql/evaluator.h"

namespace vigil::promql::internal {

[[noreturn]] void Fail(std::string msg) { throw EvalError{std::move(msg)}; }

Value Evaluator::Eval(const Expr& e, int64_t t) {
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
      v.matrix = EvalMatrix(e, t);
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

void Evaluator::PlanHints(const Expr& e, int64_t lo, int64_t hi) {
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

}  // namespace vigil::promql::internal

namespace vigil::promql {

using internal::EvalError;
using internal::Evaluator;

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

absl::StatusOr<Vector> EvalInstant(const Expr& expr, TimestampMs t, const tsdb::Head& head,
                                   const QueryOptions& opts) {
  HeadQueryable q(head);
  absl::StatusOr<Value> v = Query(expr, q, t, opts);
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
