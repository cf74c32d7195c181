// The parser's primary expressions: number and string literals, parentheses, vector
// selectors and their label matchers, aggregations, and function calls with their
// argument checks (Prometheus's functions.go signatures, functions.h).

#include <string>
#include <vector>

#include "lib/base/format.h"
#include "lib/labels/matcher.h"
#include "lib/promql/functions.h"
#include "lib/promql/parser.h"
#include "lib/promql/parser_internal.h"

namespace vigil::promql::internal {

ExprPtr Parser::ParsePrimary() {
  const Token& t = Peek();
  switch (t.type) {
    case Tok::kNumber: {
      Next();
      auto e = New(Expr::Kind::kNumber, t.pos);
      if (!ParseNumber(t.text, &e->number)) {
        Fail(t.pos, StrCat("error parsing number: strconv.ParseFloat: parsing ", GoQuote(t.text),
                           ": invalid syntax"));
      }
      return e;
    }
    case Tok::kString: {
      Next();
      auto e = New(Expr::Kind::kString, t.pos);
      auto s = Unquote(t.text);
      if (!s.ok()) Fail(t.pos, std::string(s.status().message()));
      e->str = *s;
      return e;
    }
    case Tok::kLParen: {
      Next();
      auto e = New(Expr::Kind::kParen, t.pos);
      e->lhs = ParseBinary(0);
      if (Peek().type != Tok::kRParen) {
        if (Peek().type == Tok::kEOF) Fail(Peek().pos, "unclosed left parenthesis");
        Unexpected(Peek(), "");
      }
      Next();
      return e;
    }
    case Tok::kLBrace:
      return ParseSelector(t.pos, "");
    case Tok::kIdent: {
      if (auto agg = AggregatorOp(t.text)) return ParseAggregate(*agg);
      if (Peek(1).type == Tok::kLParen) return ParseCall();
      if (IsKeyword(t.text)) Unexpected(t);
      Next();
      return ParseSelector(t.pos, t.text);
    }
    case Tok::kEOF:
      Unexpected(t);
    default:
      Unexpected(t);
  }
}

std::vector<std::string> Parser::ParseLabelList() {
  Expect(Tok::kLParen, "in grouping opts, expected \"(\"");
  std::vector<std::string> out;
  while (Peek().type != Tok::kRParen) {
    const Token& l = Peek();
    if (l.type != Tok::kIdent || l.text.find(':') != std::string_view::npos) {
      Unexpected(l, "in grouping opts, expected label");
    }
    out.emplace_back(l.text);
    Next();
    if (Peek().type == Tok::kComma) {
      Next();
    } else if (Peek().type != Tok::kRParen) {
      Unexpected(Peek(), "in grouping opts, expected \")\" or \",\"");
    }
  }
  Next();
  return out;
}

ExprPtr Parser::ParseSelector(int pos, std::string_view name) {
  auto e = New(Expr::Kind::kVectorSelector, pos);
  e->selector.name = std::string(name);
  std::vector<labels::Matcher> ms;
  if (!name.empty()) {
    ms.push_back(*labels::Matcher::Create(labels::MatchType::kEqual,
                                          std::string(labels::kMetricName), e->selector.name));
  }
  if (Peek().type == Tok::kLBrace) {
    Next();
    const std::string_view in_context = label_set_ ? "in label set" : "in label matching";
    while (Peek().type != Tok::kRBrace) {
      const Token& l = Peek();
      if (l.type == Tok::kEOF) Fail(l.pos, "unexpected end of input inside braces");
      if (l.type != Tok::kIdent)
        Unexpected(l, StrCat(in_context, ", expected identifier or \"}\""));
      Next();
      const Token& op = Peek();
      labels::MatchType mt = labels::MatchType::kEqual;
      switch (op.type) {
        case Tok::kAssign:
          mt = labels::MatchType::kEqual;
          break;
        case Tok::kNeq:
          mt = labels::MatchType::kNotEqual;
          break;
        case Tok::kEqlRegex:
          mt = labels::MatchType::kRegex;
          break;
        case Tok::kNeqRegex:
          mt = labels::MatchType::kNotRegex;
          break;
        case Tok::kEOF:
          Fail(op.pos, "unexpected end of input inside braces");
        default:
          Unexpected(op, StrCat(in_context, label_set_ ? ", expected \"=\""
                                                       : ", expected label matching operator"));
      }
      if (label_set_ && mt != labels::MatchType::kEqual) {
        Unexpected(op, StrCat(in_context, ", expected \"=\""));
      }
      Next();
      const Token& v = Peek();
      if (v.type == Tok::kEOF) Fail(v.pos, "unexpected end of input inside braces");
      if (v.type != Tok::kString) Unexpected(v, StrCat(in_context, ", expected string"));
      Next();
      auto val = Unquote(v.text);
      if (!val.ok()) Fail(v.pos, std::string(val.status().message()));
      if (label_set_) {
        metric_labels_.push_back({std::string(l.text), *val});
      } else {
        ms.push_back(MakeMatcher(name, l, mt, *val));
      }
      if (Peek().type == Tok::kComma) {
        Next();
      } else if (Peek().type == Tok::kEOF) {
        Fail(Peek().pos, "unexpected end of input inside braces");
      } else if (Peek().type != Tok::kRBrace) {
        Unexpected(Peek(), StrCat(in_context, ", expected \",\" or \"}\""));
      }
    }
    Next();
  }
  if (label_set_) return e;
  bool non_empty = false;
  for (const auto& m : ms) {
    if (!m.MatchesValue("")) non_empty = true;
  }
  if (!non_empty) Fail(pos, "vector selector must contain at least one non-empty matcher");
  e->selector.matchers = std::move(ms);
  return e;
}

labels::Matcher Parser::MakeMatcher(std::string_view name, const Token& l, labels::MatchType mt,
                                    const std::string& val) {
  if (mt == labels::MatchType::kRegex || mt == labels::MatchType::kNotRegex) {
    if (std::string re_err = GoRegexpError(val); !re_err.empty()) Fail(l.pos, re_err);
  }
  auto m = labels::Matcher::Create(mt, std::string(l.text), val);
  if (!m.ok()) Fail(l.pos, std::string(m.status().message()));
  if (l.text == labels::kMetricName && !name.empty()) {
    Fail(l.pos, StrCat("metric name must not be set twice: \"", name, "\" or \"", val, "\""));
  }
  return *std::move(m);
}

std::vector<labels::Label> Parser::ParseMetricTop() {
  label_set_ = true;
  std::vector<labels::Label> out;
  const Token& t = Peek();
  if (t.type == Tok::kIdent) {
    out.push_back({std::string(labels::kMetricName), std::string(t.text)});
    Next();
  }
  if (Peek().type == Tok::kLBrace) {
    ParseSelector(t.pos, "");
    for (labels::Label& l : metric_labels_) out.push_back(std::move(l));
  }
  if (Peek().type != Tok::kEOF) Unexpected(Peek());
  return out;
}

ExprPtr Parser::ParseAggregate(AggOp op) {
  const Token& t = Next();
  auto e = New(Expr::Kind::kAggregate, t.pos);
  e->agg = op;
  bool grouped = false;
  auto grouping = [&] {
    if (IsWord(Peek(), "by") || IsWord(Peek(), "without")) {
      if (grouped) Unexpected(Peek());
      e->without = IsWord(Peek(), "without");
      Next();
      e->grouping = ParseLabelList();
      grouped = true;
    }
  };
  grouping();
  if (Peek().type != Tok::kLParen) Unexpected(Peek(), "in aggregation, expected \"(\"");
  std::vector<ExprPtr> args = ParseArgs("in aggregation");
  grouping();
  bool has_param = op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile ||
                   op == AggOp::kCountValues;
  size_t want = has_param ? 2 : 1;
  if (args.size() != want) {
    Fail(t.pos, StrCat("wrong number of arguments for aggregate expression provided, expected ",
                       want, ", got ", args.size()));
  }
  if (has_param) e->rhs = std::move(args[0]);
  e->lhs = std::move(args.back());
  if (e->lhs->type() != ValueType::kVector) {
    Fail(e->lhs->pos, StrCat("expected type instant vector in aggregation expression, got ",
                             ValueTypeName(e->lhs->type())));
  }
  if (has_param) {
    ValueType want_t = op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
    if (e->rhs->type() != want_t) {
      Fail(e->rhs->pos, StrCat("expected type ", ValueTypeName(want_t),
                               " in aggregation parameter, got ", ValueTypeName(e->rhs->type())));
    }
  }
  return e;
}

std::vector<ExprPtr> Parser::ParseArgs(std::string_view context) {
  Expect(Tok::kLParen, context);
  std::vector<ExprPtr> args;
  if (Peek().type == Tok::kRParen) {
    Next();
    return args;
  }
  while (true) {
    args.push_back(ParseBinary(0));
    if (Peek().type == Tok::kComma) {
      Next();
      if (Peek().type == Tok::kRParen)
        Fail(Peek().pos, "trailing commas not allowed in function call args");
      continue;
    }
    if (Peek().type == Tok::kRParen) {
      Next();
      return args;
    }
    if (Peek().type == Tok::kEOF) Fail(Peek().pos, "unclosed left parenthesis");
    Unexpected(Peek(), StrCat(context, ", expected \")\" or \",\""));
  }
}

ExprPtr Parser::ParseCall() {
  const Token& t = Next();
  const Function* f = LookupFunction(t.text);
  if (f == nullptr) Fail(t.pos, StrCat("unknown function with name \"", t.text, "\""));
  auto e = New(Expr::Kind::kCall, t.pos);
  e->func = f;
  e->args = ParseArgs("in function call");
  int n = static_cast<int>(e->args.size());
  int want = static_cast<int>(f->arg_types.size());
  if (f->variadic == 0) {
    if (n != want)
      Fail(t.pos, StrCat("expected ", want, " argument(s) in call to \"", f->name, "\", got ", n));
  } else {
    int min = want - 1;
    if (n < min)
      Fail(t.pos,
           StrCat("expected at least ", min, " argument(s) in call to \"", f->name, "\", got ", n));
    if (f->variadic > 0 && n > min + f->variadic) {
      Fail(t.pos, StrCat("expected at most ", min + f->variadic, " argument(s) in call to \"",
                         f->name, "\", got ", n));
    }
  }
  for (int i = 0; i < n; i++) {
    ValueType want_t = i >= want ? f->arg_types.back() : f->arg_types[i];
    ValueType got = e->args[i]->type();
    if (got != want_t) {
      Fail(e->args[i]->pos,
           StrCat("expected type ", ValueTypeName(want_t), " in call to function \"", f->name,
                  "\", got ", ValueTypeName(got)));
    }
  }
  return e;
}

}  // namespace vigil::promql::internal
