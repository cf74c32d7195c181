#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/labels/matcher.h"

namespace vigil::promql {

// The PromQL syntax tree (Prometheus promql/parser/ast.go). This first version covers
// instant vector selectors, number literals and comparison operators; the full language
// extends these types.
enum class BinOp { kEql, kNeq, kGtr, kLss, kGte, kLte };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct VectorSelector {
  std::string name;                       // empty when only matchers are given
  std::vector<labels::Matcher> matchers;  // includes __name__="name" when name is set
};

struct NumberLiteral {
  double value;
};

struct BinaryExpr {
  BinOp op;
  bool return_bool = false;
  ExprPtr lhs;
  ExprPtr rhs;
};

struct Expr {
  enum class Kind { kVectorSelector, kNumber, kBinary } kind;
  VectorSelector selector;
  NumberLiteral number{0};
  BinaryExpr binary;
  // The source text, for APIs that show a rule's query.
  std::string text;
};

std::string_view BinOpString(BinOp op);

}  // namespace vigil::promql
