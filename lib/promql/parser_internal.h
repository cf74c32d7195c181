#pragma once

// The recursive-descent PromQL parser behind ParseExpr (Prometheus 2.42's grammar and
// type checks, promql/parser/parse.go): precedence climbing over binary operators, then
// unary operators, postfix ranges, subqueries and modifiers (parser.cc), and primary
// expressions — literals, parentheses, selectors, aggregations, calls (parse_primary.cc).
// Errors are thrown as ParseError and turned into a status by ParseExpr.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/format.h"
#include "lib/promql/ast.h"
#include "lib/promql/lexer.h"
#include "lib/promql/parse_error.h"

namespace vigil::promql::internal {

class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> toks) : input_(input), toks_(std::move(toks)) {}

  ExprPtr ParseTop();
  // Prometheus's ParseMetric (START_METRIC): `name`, `name{a="b",...}` or `{...}`, only `=`,
  // errors "in label set". The labels as written: a name may repeat.
  std::vector<labels::Label> ParseMetricTop();

 private:
  const Token& Peek(int k = 0) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  const Token& Next() {
    const Token& t = toks_[i_];
    if (i_ < toks_.size() - 1) i_++;
    return t;
  }
  [[noreturn]] void Fail(int pos, std::string msg) { throw ParseError{pos, std::move(msg)}; }
  [[noreturn]] void Unexpected(const Token& t, std::string_view context = "") {
    if (t.type == Tok::kEOF && t.text == kUnclosedParen) Fail(t.pos, "unclosed left parenthesis");
    std::string msg = StrCat("unexpected ", Describe(t));
    if (!context.empty()) msg = StrCat(msg, " ", context);
    Fail(t.pos, msg);
  }
  const Token& Expect(Tok type, std::string_view context) {
    if (Peek().type != type) Unexpected(Peek(), context);
    return Next();
  }
  bool IsWord(const Token& t, std::string_view w) const {
    return t.type == Tok::kIdent && Lower(t.text) == w;
  }

  ExprPtr New(Expr::Kind kind, int pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // Bounds recursion so that hostile input cannot exhaust the stack (Prometheus's yacc
  // parser keeps its stack on the heap; no real query nests this deep).
  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) {
      if (++p->depth_ > kMaxDepth) p->Fail(p->Peek().pos, "expression nested too deeply");
    }
    ~DepthGuard() { --p->depth_; }
  };
  static constexpr int kMaxDepth = 1000;

  // parser.cc
  ExprPtr ParseBinary(int min_prec);
  void CheckBinary(Expr& n, int op_pos);
  ExprPtr ParseUnary();
  // A duration token's value; the lexer accepts forms such as "5m5m" that Prometheus's
  // model.ParseDuration then rejects, at the token's position.
  int64_t Duration(const Token& d);
  ExprPtr ParsePostfix(ExprPtr e);
  // The node an offset or @ modifier applies to.
  Expr* ModifierTarget(Expr* e);

  // parse_primary.cc
  ExprPtr ParsePrimary();
  std::vector<std::string> ParseLabelList();
  ExprPtr ParseSelector(int pos, std::string_view name);
  // What a label matcher's errors say it is in: "label matching" in a selector, "label
  // set" in a series description (ParseMetricTop), where `=` is the only operator.
  bool label_set_ = false;
  std::vector<labels::Label> metric_labels_;  // what a label set held (label_set_ only)
  // A selector's matcher `l mt val` after `name`, or the error Prometheus gives for it.
  labels::Matcher MakeMatcher(std::string_view name, const Token& l, labels::MatchType mt,
                              const std::string& val);
  ExprPtr ParseAggregate(AggOp op);
  std::vector<ExprPtr> ParseArgs(std::string_view context);
  ExprPtr ParseCall();

  std::string_view input_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace vigil::promql::internal
