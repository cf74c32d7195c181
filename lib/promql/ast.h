#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/labels/matcher.h"

namespace vigil::promql {

// The PromQL syntax tree (Prometheus 2.42 promql/parser/ast.go).
enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType t);  // "scalar", "instant vector", ...

enum class BinOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
std::string_view BinOpString(BinOp op);
bool IsComparison(BinOp op);
bool IsSetOp(BinOp op);

enum class AggOp {
  kSum,
  kAvg,
  kMin,
  kMax,
  kCount,
  kGroup,
  kStddev,
  kStdvar,
  kQuantile,
  kTopk,
  kBottomk,
  kCountValues
};
std::string_view AggOpString(AggOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) / ignoring(...)
  bool on = false;
  std::vector<std::string> include;  // group_left(...) / group_right(...)
};

// `@ start()` / `@ end()` before the query's times are known.
enum class AtKind { kNone, kTimestamp, kStart, kEnd };

struct Function;  // functions.h

struct VectorSelector {
  std::string name;                       // empty when only matchers are given
  std::vector<labels::Matcher> matchers;  // includes __name__="name" when name is set
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kNumber,
    kString,
    kVectorSelector,
    kMatrixSelector,
    kSubquery,
    kParen,
    kUnary,
    kBinary,
    kAggregate,
    kCall
  };
  Kind kind;
  int pos = 0;  // byte offset of the node's start in the input

  double number = 0;  // kNumber
  std::string str;    // kString

  VectorSelector selector;  // kVectorSelector
  // kVectorSelector and kSubquery
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;
  // kMatrixSelector (lhs = vector selector) and kSubquery (lhs = inner)
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // kSubquery; 0 = default

  // kUnary: op is kSub or kAdd, operand lhs. kBinary: lhs op rhs.
  BinOp op = BinOp::kAdd;
  bool return_bool = false;
  std::optional<VectorMatching> matching;  // kBinary between two vectors
  ExprPtr lhs, rhs;

  // kAggregate: expr in lhs, parameter in rhs (may be null).
  AggOp agg = AggOp::kSum;
  std::vector<std::string> grouping;
  bool without = false;

  // kCall
  const Function* func = nullptr;
  std::vector<ExprPtr> args;

  ValueType type() const;
};

// Prometheus's String() of a node: the canonical form used in APIs.
std::string String(const Expr& e);

// Formats a duration in ms like Prometheus's model.Duration.String() ("1h30m", "0s").
std::string FormatDuration(int64_t ms);
// Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64) (count_values) and 'g'.
std::string FormatFloatF(double v);
std::string FormatFloatG(double v);

}  // namespace vigil::promql
