#include "lib/promql/ast.h"

#include <charconv>
#include <cmath>

#include "lib/base/format.h"
#include "lib/promql/functions.h"
#include "lib/promql/parser.h"

namespace vigil::promql {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "?";
}

std::string_view BinOpString(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "^";
    case BinOp::kAtan2:
      return "atan2";
    case BinOp::kEql:
      return "==";
    case BinOp::kNeq:
      return "!=";
    case BinOp::kGtr:
      return ">";
    case BinOp::kLss:
      return "<";
    case BinOp::kGte:
      return ">=";
    case BinOp::kLte:
      return "<=";
    case BinOp::kAnd:
      return "and";
    case BinOp::kOr:
      return "or";
    case BinOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparison(BinOp op) {
  return op == BinOp::kEql || op == BinOp::kNeq || op == BinOp::kGtr || op == BinOp::kLss ||
         op == BinOp::kGte || op == BinOp::kLte;
}

bool IsSetOp(BinOp op) { return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless; }

std::string_view AggOpString(AggOp op) {
  switch (op) {
    case AggOp::kSum:
      return "sum";
    case AggOp::kAvg:
      return "avg";
    case AggOp::kMin:
      return "min";
    case AggOp::kMax:
      return "max";
    case AggOp::kCount:
      return "count";
    case AggOp::kGroup:
      return "group";
    case AggOp::kStddev:
      return "stddev";
    case AggOp::kStdvar:
      return "stdvar";
    case AggOp::kQuantile:
      return "quantile";
    case AggOp::kTopk:
      return "topk";
    case AggOp::kBottomk:
      return "bottomk";
    case AggOp::kCountValues:
      return "count_values";
  }
  return "?";
}

ValueType Expr::type() const {
  switch (kind) {
    case Kind::kNumber:
      return ValueType::kScalar;
    case Kind::kString:
      return ValueType::kString;
    case Kind::kVectorSelector:
      return ValueType::kVector;
    case Kind::kMatrixSelector:
      return ValueType::kMatrix;
    case Kind::kSubquery:
      return ValueType::kMatrix;
    case Kind::kParen:
      return lhs->type();
    case Kind::kUnary:
      return lhs->type();
    case Kind::kBinary:
      return lhs->type() == ValueType::kScalar && rhs->type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    case Kind::kAggregate:
      return ValueType::kVector;
    case Kind::kCall:
      return func->return_type;
  }
  return ValueType::kNone;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](int64_t size, std::string_view name) {
    int64_t n = ms / size;
    if (n > 0) {
      out += std::to_string(n);
      out += name;
      ms -= n * size;
    }
  };
  unit(365LL * 24 * 3600 * 1000, "y");
  unit(7LL * 24 * 3600 * 1000, "w");
  unit(24LL * 3600 * 1000, "d");
  unit(3600LL * 1000, "h");
  unit(60LL * 1000, "m");
  unit(1000, "s");
  unit(1, "ms");
  return out;
}

std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Go prints the shortest round-tripping digits, laid out without an exponent.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  std::string out;
  if (sci[0] == '-') {
    out = "-";
    sci = sci.substr(1);
  }
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int n = static_cast<int>(digits.size());
  if (exp >= n - 1) {
    out += digits + std::string(exp - (n - 1), '0');
  } else if (exp >= 0) {
    out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  } else {
    out += "0." + std::string(-exp - 1, '0') + digits;
  }
  return out;
}

std::string FormatFloatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Go's 'g' with shortest precision: exponent form when exp < -4 || exp >= 21.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= 21) {
    // Go writes e+06 style exponents with at least two digits.
    std::string mant = sci.substr(0, e);
    std::string ex = sci.substr(e + 1);
    char sign = ex[0] == '-' ? '-' : '+';
    if (ex[0] == '-' || ex[0] == '+') ex = ex.substr(1);
    if (ex.size() < 2) ex = "0" + ex;
    return StrCat(mant, "e", std::string(1, sign), ex);
  }
  return FormatFloatF(v);
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++) {
    if (i > 0) out += ", ";
    out += v[i];
  }
  return out;
}

std::string AtOffset(const Expr& e) {
  std::string out;
  if (e.at == AtKind::kTimestamp) {
    char buf[64];
    snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(e.at_ms) / 1000.0);
    out += buf;
  } else if (e.at == AtKind::kStart) {
    out += " @ start()";
  } else if (e.at == AtKind::kEnd) {
    out += " @ end()";
  }
  if (e.offset_ms > 0) out += StrCat(" offset ", FormatDuration(e.offset_ms));
  if (e.offset_ms < 0) out += StrCat(" offset -", FormatDuration(-e.offset_ms));
  return out;
}

std::string SelectorString(const Expr& e) {
  std::vector<std::string> ms;
  for (const auto& m : e.selector.matchers) {
    if (!e.selector.name.empty() && m.name() == labels::kMetricName &&
        m.type() == labels::MatchType::kEqual)
      continue;
    const char* op = "=";
    switch (m.type()) {
      case labels::MatchType::kEqual:
        op = "=";
        break;
      case labels::MatchType::kNotEqual:
        op = "!=";
        break;
      case labels::MatchType::kRegex:
        op = "=~";
        break;
      case labels::MatchType::kNotRegex:
        op = "!~";
        break;
    }
    ms.push_back(StrCat(m.name(), op, GoQuote(m.value())));
  }
  if (ms.empty()) return e.selector.name;
  std::string out = e.selector.name + "{";
  for (size_t i = 0; i < ms.size(); i++) {
    if (i > 0) out += ", ";
    out += ms[i];
  }
  return out + "}";
}

}  // namespace

std::string String(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kNumber:
      return FormatFloatF(e.number);
    case Expr::Kind::kString:
      return GoQuote(e.str);
    case Expr::Kind::kVectorSelector:
      return SelectorString(e) + AtOffset(e);
    case Expr::Kind::kMatrixSelector:
      return StrCat(SelectorString(*e.lhs), "[", FormatDuration(e.range_ms), "]", AtOffset(*e.lhs));
    case Expr::Kind::kSubquery:
      return StrCat(String(*e.lhs), "[", FormatDuration(e.range_ms), ":",
                    e.step_ms > 0 ? FormatDuration(e.step_ms) : std::string(), "]", AtOffset(e));
    case Expr::Kind::kParen:
      return StrCat("(", String(*e.lhs), ")");
    case Expr::Kind::kUnary:
      return StrCat(BinOpString(e.op), String(*e.lhs));
    case Expr::Kind::kBinary: {
      std::string mod;
      if (e.return_bool) mod += " bool";
      if (e.matching && (!e.matching->matching_labels.empty() || e.matching->on)) {
        mod +=
            StrCat(e.matching->on ? " on(" : " ignoring(", Join(e.matching->matching_labels), ")");
      }
      if (e.matching && (e.matching->card == Cardinality::kManyToOne ||
                         e.matching->card == Cardinality::kOneToMany)) {
        mod +=
            StrCat(e.matching->card == Cardinality::kManyToOne ? " group_left(" : " group_right(",
                   Join(e.matching->include), ")");
      }
      return StrCat(String(*e.lhs), " ", BinOpString(e.op), mod, " ", String(*e.rhs));
    }
    case Expr::Kind::kAggregate: {
      std::string out(AggOpString(e.agg));
      if (e.without) {
        out += StrCat(" without(", Join(e.grouping), ") ");
      } else if (!e.grouping.empty()) {
        out += StrCat(" by(", Join(e.grouping), ") ");
      }
      out += "(";
      if (e.rhs) out += String(*e.rhs) + ", ";
      return out + String(*e.lhs) + ")";
    }
    case Expr::Kind::kCall: {
      std::string out = StrCat(e.func->name, "(");
      for (size_t i = 0; i < e.args.size(); i++) {
        if (i > 0) out += ", ";
        out += String(*e.args[i]);
      }
      return out + ")";
    }
  }
  return "";
}

}  // namespace vigil::promql
