// ParseExpr, and the parser's operator levels: binary operators by precedence climbing,
// their type checks, unary operators, and the postfix range, subquery, offset and @
// modifiers.

#include "lib/promql/parser.h"

#include <algorithm>
#include <cmath>

#include "lib/base/format.h"
#include "lib/promql/parser_internal.h"

namespace vigil::promql::internal {

ExprPtr Parser::ParseTop() {
  if (Peek().type == Tok::kEOF) Fail(0, "no expression found in input");
  ExprPtr e = ParseBinary(0);
  if (Peek().type != Tok::kEOF) Unexpected(Peek());
  return e;
}

ExprPtr Parser::ParseBinary(int min_prec) {
  DepthGuard guard(this);
  ExprPtr lhs = ParseUnary();
  while (true) {
    const Token& t = Peek();
    std::optional<OpInfo> op = BinaryOp(t);
    if (!op || op->prec < min_prec) break;
    int op_pos = t.pos;
    Next();
    auto e = New(Expr::Kind::kBinary, lhs->pos);
    e->op = op->op;
    if (IsWord(Peek(), "bool")) {
      Next();
      e->return_bool = true;
    }
    VectorMatching vm;
    bool has_matching = false;
    if (IsWord(Peek(), "on") || IsWord(Peek(), "ignoring")) {
      vm.on = IsWord(Peek(), "on");
      Next();
      vm.matching_labels = ParseLabelList();
      has_matching = true;
    }
    if (has_matching && (IsWord(Peek(), "group_left") || IsWord(Peek(), "group_right"))) {
      vm.card = IsWord(Peek(), "group_left") ? Cardinality::kManyToOne : Cardinality::kOneToMany;
      Next();
      if (Peek().type == Tok::kLParen) vm.include = ParseLabelList();
    }
    int next_min = op->op == BinOp::kPow ? op->prec : op->prec + 1;
    e->rhs = ParseBinary(next_min);
    e->lhs = std::move(lhs);
    e->matching = vm;
    CheckBinary(*e, op_pos);
    lhs = std::move(e);
  }
  return lhs;
}

void Parser::CheckBinary(Expr& n, int op_pos) {
  ValueType lt = n.lhs->type(), rt = n.rhs->type();
  VectorMatching& vm = *n.matching;
  if (n.return_bool && !IsComparison(n.op))
    Fail(op_pos, "bool modifier can only be used on comparison operators");
  if (IsComparison(n.op) && !n.return_bool && lt == ValueType::kScalar &&
      rt == ValueType::kScalar) {
    Fail(op_pos, "comparisons between scalars must use BOOL modifier");
  }
  if (IsSetOp(n.op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
  if (vm.on) {
    for (const auto& l1 : vm.matching_labels) {
      for (const auto& l2 : vm.include) {
        if (l1 == l2)
          Fail(op_pos, StrCat("label \"", l1, "\" must not occur in ON and GROUP clause at once"));
      }
    }
  }
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    Fail(n.lhs->pos, "binary expression must contain only scalar and instant vector types");
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    Fail(n.rhs->pos, "binary expression must contain only scalar and instant vector types");
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (!vm.matching_labels.empty() || vm.on || vm.card == Cardinality::kManyToOne ||
        vm.card == Cardinality::kOneToMany) {
      if (!vm.matching_labels.empty())
        Fail(n.pos, "vector matching only allowed between instant vectors");
    }
    n.matching.reset();
  } else if (IsSetOp(n.op)) {
    if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
      Fail(n.pos, StrCat("no grouping allowed for \"", BinOpString(n.op), "\" operation"));
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(n.op)) {
    Fail(n.pos, StrCat("set operator \"", BinOpString(n.op),
                       "\" not allowed in binary scalar expression"));
  }
}

ExprPtr Parser::ParseUnary() {
  const Token& t = Peek();
  if (t.type == Tok::kSub || t.type == Tok::kAdd) {
    int pos = t.pos;
    bool neg = t.type == Tok::kSub;
    Next();
    ExprPtr operand = ParseBinary(kPowPrec);
    if (operand->kind == Expr::Kind::kNumber) {
      if (neg) operand->number = -operand->number;
      operand->pos = pos;
      return operand;
    }
    ValueType ty = operand->type();
    if (ty != ValueType::kScalar && ty != ValueType::kVector) {
      Fail(pos, StrCat("unary expression only allowed on expressions of type scalar or instant "
                       "vector, got \"",
                       ValueTypeName(ty), "\""));
    }
    auto e = New(Expr::Kind::kUnary, pos);
    e->op = neg ? BinOp::kSub : BinOp::kAdd;
    e->lhs = std::move(operand);
    return e;
  }
  return ParsePostfix(ParsePrimary());
}

// A duration token's value; the lexer accepts forms such as "5m5m" that Prometheus's
// model.ParseDuration then rejects, at the token's position.
int64_t Parser::Duration(const Token& d) {
  auto ms = ParseDurationMs(d.text);
  if (!ms.ok()) Fail(d.pos, std::string(ms.status().message()));
  return *ms;
}

ExprPtr Parser::ParsePostfix(ExprPtr e) {
  while (true) {
    const Token& t = Peek();
    if (t.type == Tok::kLBracket) {
      int pos = t.pos;
      Next();
      const Token& d = Peek();
      if (d.type != Tok::kDuration) {
        if (d.type == Tok::kColon)
          Fail(d.pos, "unexpected \":\" in subquery selector, expected duration");
        Unexpected(d, "in subquery selector, expected duration");
      }
      Next();
      int64_t range = Duration(d);
      if (Peek().type == Tok::kRBracket) {
        Next();
        if (e->kind != Expr::Kind::kVectorSelector)
          Fail(pos, "ranges only allowed for vector selectors");
        if (e->offset_ms != 0) Fail(pos, "no offset modifiers allowed before range");
        if (e->at != AtKind::kNone) Fail(pos, "no @ modifiers allowed before range");
        auto m = New(Expr::Kind::kMatrixSelector, e->pos);
        m->range_ms = range;
        m->lhs = std::move(e);
        e = std::move(m);
        continue;
      }
      Expect(Tok::kColon, "in subquery selector, expected \":\"");
      int64_t step = 0;
      if (Peek().type == Tok::kDuration) step = Duration(Next());
      Expect(Tok::kRBracket, "in subquery selector, expected \"]\"");
      if (e->type() != ValueType::kVector) {
        Fail(e->pos, StrCat("subquery is only allowed on instant vector, got ",
                            ValueTypeName(e->type()), " instead"));
      }
      auto s = New(Expr::Kind::kSubquery, e->pos);
      s->range_ms = range;
      s->step_ms = step;
      s->lhs = std::move(e);
      e = std::move(s);
      continue;
    }
    if (IsWord(t, "offset")) {
      Next();
      bool neg = false;
      if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
        neg = Peek().type == Tok::kSub;
        Next();
      }
      const Token& d = Peek();
      if (d.type != Tok::kDuration) Unexpected(d, "in offset, expected duration");
      Next();
      int64_t off = Duration(d);
      Expr* target = ModifierTarget(e.get());
      if (target == nullptr) {
        Fail(e->pos,
             "offset modifier must be preceded by an instant vector selector or range vector "
             "selector or a subquery");
      }
      if (target->offset_ms != 0) Fail(e->pos, "offset may not be set multiple times");
      target->offset_ms = neg ? -off : off;
      continue;
    }
    if (t.type == Tok::kAt) {
      int pos = t.pos;
      Next();
      Expr* target = ModifierTarget(e.get());
      if (target == nullptr) {
        Fail(e->pos,
             "@ modifier must be preceded by an instant vector selector or range vector selector "
             "or a subquery");
      }
      if (target->at != AtKind::kNone) Fail(e->pos, "@ <timestamp> may not be set multiple times");
      const Token& a = Peek();
      // Keywords are case-insensitive in Prometheus's lexer: `@ START()` too.
      const std::string word = a.type == Tok::kIdent ? Lower(a.text) : "";
      if (word == "start" || word == "end") {
        Next();
        Expect(Tok::kLParen, "");
        Expect(Tok::kRParen, "");
        target->at = word == "start" ? AtKind::kStart : AtKind::kEnd;
        continue;
      }
      bool neg = false;
      if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
        neg = Peek().type == Tok::kSub;
        Next();
      }
      const Token& n = Peek();
      if (n.type != Tok::kNumber) Unexpected(n, "in @, expected timestamp");
      Next();
      double v;
      ParseNumber(n.text, &v);
      if (neg) v = -v;
      if (std::isnan(v) || std::isinf(v) || std::abs(v * 1000) > 9.2e18) {
        Fail(pos, StrCat("timestamp out of bounds for @ modifier: ", FormatFloatG(v)));
      }
      target->at = AtKind::kTimestamp;
      target->at_ms = static_cast<int64_t>(std::round(v * 1000));
      continue;
    }
    return e;
  }
}

// The node an offset or @ modifier applies to.
Expr* Parser::ModifierTarget(Expr* e) {
  switch (e->kind) {
    case Expr::Kind::kVectorSelector:
      return e;
    case Expr::Kind::kMatrixSelector:
      return e->lhs.get();
    case Expr::Kind::kSubquery:
      return e;
    default:
      return nullptr;
  }
}

}  // namespace vigil::promql::internal

namespace vigil::promql {

using internal::Lexer;
using internal::ParseError;
using internal::Parser;
using internal::PosError;
using internal::Token;

// Lexes `input` and runs `parse` on a parser over its tokens; a lexer or parser error
// reads as Prometheus's ("1:5: parse error: ...").
template <typename T, typename Fn>
absl::StatusOr<T> RunParser(std::string_view input, Fn parse) {
  std::vector<Token> toks;
  ParseError err;
  Lexer lexer(input);
  if (!lexer.Run(&toks, &err)) return PosError(input, err.pos, err.msg);
  try {
    Parser p(input, std::move(toks));
    return parse(p);
  } catch (const ParseError& e) {
    return PosError(input, e.pos, e.msg);
  }
}

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  return RunParser<ExprPtr>(input, [](Parser& p) { return p.ParseTop(); });
}

absl::StatusOr<labels::Labels> ParseMetric(std::string_view input) {
  auto parsed =
      RunParser<std::vector<labels::Label>>(input, [](Parser& p) { return p.ParseMetricTop(); });
  if (!parsed.ok()) return parsed.status();
  std::vector<labels::Label>& ls = *parsed;
  std::sort(ls.begin(), ls.end(),
            [](const labels::Label& a, const labels::Label& b) { return a.name < b.name; });
  for (size_t i = 1; i < ls.size(); ++i) {
    if (ls[i].name == ls[i - 1].name) {
      return absl::InvalidArgumentError(
          StrCat("label name \"", ls[i].name, "\" is not unique: invalid sample"));
    }
  }
  return labels::Labels(std::move(ls));
}

}  // namespace vigil::promql
