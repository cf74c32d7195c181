#pragma once

// The PromQL lexer and its token and keyword tables (Prometheus promql/parser/lex.go):
// internal to the parser (parser.cc, parse_primary.cc, parse_error.cc).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/promql/ast.h"

namespace vigil::promql::internal {

// The text of an EOF token reached with a "(" still open.
inline constexpr std::string_view kUnclosedParen = "(";

enum class Tok {
  kEOF,
  kIdent,
  kNumber,
  kString,
  kDuration,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
  kAssign,
  kEqlRegex,
  kNeqRegex,
};

struct Token {
  Tok type;
  int pos;
  std::string_view text;
};

// A lexing or parsing error at byte offset `pos` of the input (PosError formats it).
// Scans the string literal starting at in[start] (its quote: ", ' or `) as Prometheus's
// lexer does; the offset just past its closing quote, or what Prometheus's lexer reports
// ("unterminated quoted string", "unknown escape sequence U+0071 'q'", ...).
absl::StatusOr<size_t> ScanString(std::string_view in, size_t start);

struct ParseError {
  int pos;
  std::string msg;
};

bool IsAlpha(char c);
bool IsAlnum(char c);
std::string Lower(std::string_view s);

// Lexer (Prometheus promql/parser/lex.go, without the series-description mode).
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  // Returns false with *err set on a lexing error.
  bool Run(std::vector<Token>* out, ParseError* err);

 private:
  std::string_view in_;
  int bracket_depth_ = 0;
  int paren_depth_ = 0;
  bool got_colon_ = false;
};

// --- keywords and operators (lexer.cc) -------------------------------------------------

struct OpInfo {
  BinOp op;
  int prec;
};

inline constexpr int kPowPrec = 6;

// The binary operator and its precedence a token stands for, if any.
std::optional<OpInfo> BinaryOp(const Token& t);
// The aggregation operator `word` names (case-insensitive), if any.
std::optional<AggOp> AggregatorOp(std::string_view word);
// How Prometheus's Item.desc() names a keyword ("<by>", "<op:and>", "<aggr:sum>").
std::optional<std::string> KeywordDesc(std::string_view text);
// Whether `word` is a keyword and so not a metric name.
bool IsKeyword(std::string_view word);

}  // namespace vigil::promql::internal
