#include "lib/promql/parser.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "lib/base/format.h"
#include "lib/promql/functions.h"
#include "re2/re2.h"

namespace vigil::promql {
namespace {

// ---------------------------------------------------------------------------------------
// Lexer (Prometheus promql/parser/lex.go, without the series-description mode).

// The text of an EOF token reached with a "(" still open.
constexpr std::string_view kUnclosedParen = "(";

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

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> KeywordDesc(std::string_view text);

// Prometheus's Item.desc() for "unexpected ..." messages.
std::string Describe(const Token& t) {
  auto quoted = [](std::string_view v) {
    if (v.size() > 10) return GoQuote(v.substr(0, 10)) + "...";
    return GoQuote(v);
  };
  switch (t.type) {
    case Tok::kEOF:
      return "end of input";
    case Tok::kIdent: {
      if (auto kw = KeywordDesc(t.text)) return *kw;
      bool metric = t.text.find(':') != std::string_view::npos;
      return StrCat(metric ? "metric identifier " : "identifier ", GoQuote(t.text));
    }
    case Tok::kNumber:
      return StrCat("number ", quoted(t.text));
    case Tok::kString:
      return StrCat("string ", quoted(t.text));
    case Tok::kDuration:
      return StrCat("duration ", quoted(t.text));
    case Tok::kLParen:
    case Tok::kRParen:
    case Tok::kLBrace:
    case Tok::kRBrace:
    case Tok::kLBracket:
    case Tok::kRBracket:
    case Tok::kComma:
    case Tok::kColon:
      return GoQuote(t.text);
    case Tok::kAt:
      return "\"<Item 57385>\" <op:@>";
    default:
      return StrCat("<op:", t.text, ">");
  }
}

struct ParseError {
  int pos;
  std::string msg;
};

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  // Returns false with *err set on a lexing error.
  bool Run(std::vector<Token>* out, ParseError* err) {
    size_t i = 0;
    int brace_depth = 0;
    while (true) {
      while (i < in_.size() && std::isspace(static_cast<unsigned char>(in_[i]))) i++;
      if (i < in_.size() && in_[i] == '#') {  // comment until end of line
        while (i < in_.size() && in_[i] != '\n') i++;
        continue;
      }
      if (i >= in_.size()) {
        // Prometheus's lexer fails with "unclosed left parenthesis" when the parser asks
        // for the token after the last one while a "(" is open; the EOF token carries that
        // so the parser reports it only if it gets that far (kUnclosedParen).
        out->push_back({Tok::kEOF, static_cast<int>(in_.size()),
                        paren_depth_ > 0 ? kUnclosedParen : ""});
        return true;
      }
      size_t start = i;
      char c = in_[i];
      auto emit = [&](Tok t, size_t len) {
        out->push_back({t, static_cast<int>(start), in_.substr(start, len)});
        i = start + len;
      };
      auto next = [&](size_t k) { return start + k < in_.size() ? in_[start + k] : '\0'; };
      if (c == '"' || c == '\'' || c == '`') {
        size_t j = i + 1;
        while (j < in_.size() && in_[j] != c) {
          if (c != '`' && in_[j] == '\\') j++;
          if (c != '`' && j < in_.size() && in_[j] == '\n') break;
          j++;
        }
        if (j >= in_.size() || in_[j] != c) {
          *err = {static_cast<int>(start), "unterminated quoted string"};
          if (c == '`') err->msg = "unterminated raw string";
          return false;
        }
        emit(Tok::kString, j - i + 1);
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && std::isdigit(static_cast<unsigned char>(next(1))))) {
        // Go's lexer: scanNumber, then acceptRemainingDuration (promql/parser/lex.go).
        size_t p = i;
        auto accept = [&](std::string_view set) {
          if (p < in_.size() && set.find(in_[p]) != std::string_view::npos) {
            p++;
            return true;
          }
          return false;
        };
        auto accept_run = [&](std::string_view set) {
          while (accept(set)) {
          }
        };
        std::string_view digits = "0123456789";
        if (accept("0") && accept("xX")) digits = "0123456789abcdefABCDEF";
        accept_run(digits);
        if (accept(".")) accept_run(digits);
        if (accept("eE")) {
          accept("+-");
          accept_run("0123456789");
        }
        bool is_number = !(p < in_.size() && IsAlnum(in_[p]));
        if (is_number && bracket_depth_ > 0) {
          *err = {static_cast<int>(start), "missing unit character in duration"};
          return false;
        }
        if (is_number) {
          emit(Tok::kNumber, p - i);
          continue;
        }
        bool dur = false;
        if (accept("smhdwy")) {
          accept("s");
          dur = true;
          while (dur && accept("0123456789")) {
            accept_run("0123456789");
            if (!accept("smhdw")) dur = false;
            if (dur) accept("s");
          }
          if (dur && p < in_.size() && IsAlnum(in_[p])) {
            p++;
            dur = false;
          }
        }
        if (!dur) {
          *err = {static_cast<int>(start),
                  StrCat(bracket_depth_ > 0 ? "bad duration syntax: \""
                                            : "bad number or duration syntax: \"",
                         in_.substr(i, p - i), "\"")};
          return false;
        }
        emit(Tok::kDuration, p - i);
        continue;
      }
      if (IsAlpha(c) || (c == ':' && brace_depth == 0 && bracket_depth_ == 0)) {
        size_t j = i;
        while (j < in_.size() && (IsAlnum(in_[j]) || (in_[j] == ':' && brace_depth == 0))) j++;
        std::string_view word = in_.substr(i, j - i);
        std::string lw = Lower(word);
        if (brace_depth == 0 && (lw == "inf" || lw == "nan")) {
          emit(Tok::kNumber, j - i);
        } else {
          emit(Tok::kIdent, j - i);
        }
        continue;
      }
      switch (c) {
        case '(':
          paren_depth_++;
          emit(Tok::kLParen, 1);
          continue;
        case ')':
          if (--paren_depth_ < 0) {
            *err = {static_cast<int>(start) + 1, "unexpected right parenthesis ')'"};
            return false;
          }
          emit(Tok::kRParen, 1);
          continue;
        case '{':
          brace_depth++;
          emit(Tok::kLBrace, 1);
          continue;
        case '}':
          brace_depth--;
          emit(Tok::kRBrace, 1);
          continue;
        case '[':
          bracket_depth_++;
          got_colon_ = false;
          emit(Tok::kLBracket, 1);
          continue;
        case ']':
          bracket_depth_--;
          emit(Tok::kRBracket, 1);
          continue;
        case ',':
          emit(Tok::kComma, 1);
          continue;
        case ':':
          if (bracket_depth_ > 0 && got_colon_) {
            *err = {static_cast<int>(start), "unexpected colon ':'"};
            return false;
          }
          got_colon_ = true;
          emit(Tok::kColon, 1);
          continue;
        case '@':
          emit(Tok::kAt, 1);
          continue;
        case '+':
          emit(Tok::kAdd, 1);
          continue;
        case '-':
          emit(Tok::kSub, 1);
          continue;
        case '*':
          emit(Tok::kMul, 1);
          continue;
        case '/':
          emit(Tok::kDiv, 1);
          continue;
        case '%':
          emit(Tok::kMod, 1);
          continue;
        case '^':
          emit(Tok::kPow, 1);
          continue;
        case '=':
          if (next(1) == '=')
            emit(Tok::kEqlc, 2);
          else if (next(1) == '~')
            emit(Tok::kEqlRegex, 2);
          else
            emit(Tok::kAssign, 1);
          continue;
        case '!':
          if (next(1) == '=')
            emit(Tok::kNeq, 2);
          else if (next(1) == '~')
            emit(Tok::kNeqRegex, 2);
          else {
            *err = {static_cast<int>(start),
                    StrCat("unexpected character after '!': '",
                           std::string_view(&in_[start + 1], next(1) ? 1 : 0), "'")};
            return false;
          }
          continue;
        case '<':
          if (next(1) == '=')
            emit(Tok::kLte, 2);
          else
            emit(Tok::kLss, 1);
          continue;
        case '>':
          if (next(1) == '=')
            emit(Tok::kGte, 2);
          else
            emit(Tok::kGtr, 1);
          continue;
        default:
          *err = {static_cast<int>(start),
                  StrCat(brace_depth > 0 ? "unexpected character inside braces: '"
                                         : "unexpected character: '",
                         std::string_view(&in_[start], 1), "'")};
          return false;
      }
    }
  }

 private:
  std::string_view in_;
  int bracket_depth_ = 0;
  int paren_depth_ = 0;
  bool got_colon_ = false;
};

// ---------------------------------------------------------------------------------------
// Parser.

struct OpInfo {
  BinOp op;
  int prec;
};

constexpr int kPowPrec = 6;

std::optional<OpInfo> BinaryOp(const Token& t) {
  switch (t.type) {
    case Tok::kAdd:
      return OpInfo{BinOp::kAdd, 4};
    case Tok::kSub:
      return OpInfo{BinOp::kSub, 4};
    case Tok::kMul:
      return OpInfo{BinOp::kMul, 5};
    case Tok::kDiv:
      return OpInfo{BinOp::kDiv, 5};
    case Tok::kMod:
      return OpInfo{BinOp::kMod, 5};
    case Tok::kPow:
      return OpInfo{BinOp::kPow, kPowPrec};
    case Tok::kEqlc:
      return OpInfo{BinOp::kEql, 3};
    case Tok::kNeq:
      return OpInfo{BinOp::kNeq, 3};
    case Tok::kLss:
      return OpInfo{BinOp::kLss, 3};
    case Tok::kLte:
      return OpInfo{BinOp::kLte, 3};
    case Tok::kGtr:
      return OpInfo{BinOp::kGtr, 3};
    case Tok::kGte:
      return OpInfo{BinOp::kGte, 3};
    case Tok::kIdent: {
      std::string w = Lower(t.text);
      if (w == "and") return OpInfo{BinOp::kAnd, 2};
      if (w == "unless") return OpInfo{BinOp::kUnless, 2};
      if (w == "or") return OpInfo{BinOp::kOr, 1};
      if (w == "atan2") return OpInfo{BinOp::kAtan2, 5};
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<AggOp> AggregatorOp(std::string_view word) {
  std::string w = Lower(word);
  if (w == "sum") return AggOp::kSum;
  if (w == "avg") return AggOp::kAvg;
  if (w == "min") return AggOp::kMin;
  if (w == "max") return AggOp::kMax;
  if (w == "count") return AggOp::kCount;
  if (w == "group") return AggOp::kGroup;
  if (w == "stddev") return AggOp::kStddev;
  if (w == "stdvar") return AggOp::kStdvar;
  if (w == "quantile") return AggOp::kQuantile;
  if (w == "topk") return AggOp::kTopk;
  if (w == "bottomk") return AggOp::kBottomk;
  if (w == "count_values") return AggOp::kCountValues;
  return std::nullopt;
}

std::optional<std::string> KeywordDesc(std::string_view text) {
  std::string w = Lower(text);
  for (const char* k : {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                        "offset", "start", "end"}) {
    if (w == k) return StrCat("<", text, ">");
  }
  for (const char* k : {"and", "or", "unless", "atan2"}) {
    if (w == k) return StrCat("<op:", text, ">");
  }
  if (AggregatorOp(text)) return StrCat("<aggr:", text, ">");
  return std::nullopt;
}

bool IsKeyword(std::string_view word) {
  static const char* kKeywords[] = {"and",      "or",         "unless",      "atan2",
                                    "offset",   "by",         "without",     "on",
                                    "ignoring", "group_left", "group_right", "bool"};
  std::string w = Lower(word);
  for (const char* k : kKeywords) {
    if (w == k) return true;
  }
  return AggregatorOp(word).has_value();
}

// Go's regexp error text ("error parsing regexp: missing closing ): `^(?:()$`") for the
// anchored form Prometheus compiles; empty when the regex compiles.
std::string GoRegexpError(const std::string& value) {
  std::string anchored = StrCat("^(?:", value, ")$");
  re2::RE2::Options o;
  o.set_log_errors(false);
  re2::RE2 re(anchored, o);
  if (re.ok()) return "";
  std::string_view code;
  switch (re.error_code()) {
    case re2::RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case re2::RE2::ErrorUnexpectedParen:
      code = "unexpected )";
      break;
    case re2::RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case re2::RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case re2::RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case re2::RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case re2::RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case re2::RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case re2::RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case re2::RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case re2::RE2::ErrorBadPerlOp:
      code = "invalid or unsupported Perl syntax";
      break;
    case re2::RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    case re2::RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    default:
      return StrCat("error parsing regexp: ", re.error());
  }
  std::string arg = re.error_arg();
  if (re.error_code() == re2::RE2::ErrorMissingParen)
    arg = anchored;  // Go quotes the whole expression
  return StrCat("error parsing regexp: ", code, ": `", arg, "`");
}

class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> toks) : input_(input), toks_(std::move(toks)) {}

  ExprPtr ParseTop() {
    ExprPtr e = ParseBinary(0);
    if (Peek().type != Tok::kEOF) Unexpected(Peek());
    return e;
  }

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

  ExprPtr ParseBinary(int min_prec) {
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
        has_matching = true;
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

  void CheckBinary(Expr& n, int op_pos) {
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
            Fail(op_pos,
                 StrCat("label \"", l1, "\" must not occur in ON and GROUP clause at once"));
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

  ExprPtr ParseUnary() {
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
  int64_t Duration(const Token& d) {
    auto ms = ParseDurationMs(d.text);
    if (!ms.ok()) Fail(d.pos, std::string(ms.status().message()));
    return *ms;
  }

  ExprPtr ParsePostfix(ExprPtr e) {
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
        if (target->at != AtKind::kNone)
          Fail(e->pos, "@ <timestamp> may not be set multiple times");
        const Token& a = Peek();
        if (a.type == Tok::kIdent && (a.text == "start" || a.text == "end")) {
          Next();
          Expect(Tok::kLParen, "");
          Expect(Tok::kRParen, "");
          target->at = a.text == "start" ? AtKind::kStart : AtKind::kEnd;
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
  Expr* ModifierTarget(Expr* e) {
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

  ExprPtr ParsePrimary() {
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

  std::vector<std::string> ParseLabelList() {
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

  ExprPtr ParseSelector(int pos, std::string_view name) {
    auto e = New(Expr::Kind::kVectorSelector, pos);
    e->selector.name = std::string(name);
    std::vector<labels::Matcher> ms;
    if (!name.empty()) {
      ms.push_back(*labels::Matcher::Create(labels::MatchType::kEqual,
                                            std::string(labels::kMetricName), e->selector.name));
    }
    if (Peek().type == Tok::kLBrace) {
      Next();
      while (Peek().type != Tok::kRBrace) {
        const Token& l = Peek();
        if (l.type == Tok::kEOF) Fail(l.pos, "unexpected end of input inside braces");
        if (l.type != Tok::kIdent) Unexpected(l, "in label matching, expected label");
        Next();
        const Token& op = Peek();
        labels::MatchType mt;
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
            Fail(op.pos, "expected label matching operator");
        }
        Next();
        const Token& v = Peek();
        if (v.type == Tok::kEOF) Fail(v.pos, "unexpected end of input inside braces");
        if (v.type != Tok::kString) Unexpected(v, "in label matching, expected string");
        Next();
        auto val = Unquote(v.text);
        if (!val.ok()) Fail(v.pos, std::string(val.status().message()));
        if (mt == labels::MatchType::kRegex || mt == labels::MatchType::kNotRegex) {
          if (std::string re_err = GoRegexpError(*val); !re_err.empty()) Fail(l.pos, re_err);
        }
        auto m = labels::Matcher::Create(mt, std::string(l.text), *val);
        if (!m.ok()) Fail(l.pos, std::string(m.status().message()));
        if (l.text == labels::kMetricName && !name.empty()) {
          Fail(l.pos,
               StrCat("metric name must not be set twice: \"", name, "\" or \"", *val, "\""));
        }
        ms.push_back(std::move(*m));
        if (Peek().type == Tok::kComma) {
          Next();
        } else if (Peek().type == Tok::kEOF) {
          Fail(Peek().pos, "unexpected end of input inside braces");
        } else if (Peek().type != Tok::kRBrace) {
          Unexpected(Peek(), "in label matching, expected \",\" or \"}\"");
        }
      }
      Next();
    }
    bool non_empty = false;
    for (const auto& m : ms) {
      if (!m.MatchesValue("")) non_empty = true;
    }
    if (!non_empty) Fail(pos, "vector selector must contain at least one non-empty matcher");
    e->selector.matchers = std::move(ms);
    return e;
  }

  ExprPtr ParseAggregate(AggOp op) {
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

  std::vector<ExprPtr> ParseArgs(std::string_view context) {
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

  ExprPtr ParseCall() {
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
        Fail(t.pos,
             StrCat("expected ", want, " argument(s) in call to \"", f->name, "\", got ", n));
    } else {
      int min = want - 1;
      if (n < min)
        Fail(t.pos, StrCat("expected at least ", min, " argument(s) in call to \"", f->name,
                           "\", got ", n));
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

  std::string_view input_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
};

absl::Status PosError(std::string_view input, int pos, std::string_view msg) {
  int line = 1, col = pos + 1;
  for (int i = 0; i < pos && i < static_cast<int>(input.size()); i++) {
    if (input[i] == '\n') {
      line++;
      col = pos - i;
    }
  }
  return absl::InvalidArgumentError(StrCat(line, ":", col, ": parse error: ", msg));
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view s) {
  if (s == "0") return 0;
  if (s.empty()) return absl::InvalidArgumentError("empty duration string");
  static const std::pair<std::string_view, int64_t> kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                                                                {"w", 7LL * 24 * 3600 * 1000},
                                                                {"d", 24LL * 3600 * 1000},
                                                                {"h", 3600LL * 1000},
                                                                {"m", 60LL * 1000},
                                                                {"s", 1000},
                                                                {"ms", 1}};
  size_t i = 0, unit = 0;
  int64_t total = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) j++;
    if (j == i)
      return absl::InvalidArgumentError(StrCat("not a valid duration string: \"", s, "\""));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) k++;
    std::string_view u = s.substr(j, k - j);
    bool found = false;
    for (; unit < std::size(kUnits); unit++) {
      if (kUnits[unit].first == u) {
        found = true;
        break;
      }
    }
    if (!found)
      return absl::InvalidArgumentError(StrCat("not a valid duration string: \"", s, "\""));
    // As model.ParseDuration: the total must fit a Go time.Duration (int64 nanoseconds,
    // ~292 years); strtoll saturates as Go's Atoi does on overflow.
    constexpr int64_t kMaxMs = INT64_MAX / 1'000'000;
    int64_t n = std::strtoll(std::string(s.substr(i, j - i)).c_str(), nullptr, 10);
    if (n > kMaxMs / kUnits[unit].second || total > kMaxMs - n * kUnits[unit].second) {
      return absl::InvalidArgumentError("duration out of range");
    }
    total += n * kUnits[unit].second;
    unit++;
    i = k;
  }
  return total;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string lw = Lower(s);
  if (lw == "inf" || lw == "+inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lw == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (lw == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  std::string str(s);
  // Go's strconv.ParseInt(s, 0, 64) first: 0x hex, 0o/leading-0 octal, 0b binary.
  {
    const char* p = str.c_str();
    bool neg = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    int base = 10;
    std::string digits = p;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
      base = 16;
      digits = digits.substr(2);
    } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
      base = 8;
      digits = digits.substr(2);
    } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
      base = 2;
      digits = digits.substr(2);
    } else if (digits.size() > 1 && digits[0] == '0') {
      base = 8;
      digits = digits.substr(1);
    }
    bool all = !digits.empty();
    for (char c : digits) {
      int v = HexVal(c);
      if (v < 0 || v >= base) all = false;
    }
    if (all) {
      errno = 0;
      long long v = std::strtoll(digits.c_str(), nullptr, base);
      if (errno == 0) {
        *out = neg ? -static_cast<double>(v) : static_cast<double>(v);
        return true;
      }
    }
    if (base == 16) return false;
  }
  for (char c : str) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
          c == '+' || c == '-')) {
      return false;
    }
  }
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

absl::StatusOr<std::string> Unquote(std::string_view s) {
  if (s.size() < 2) return absl::InvalidArgumentError("invalid syntax");
  char q = s[0];
  std::string_view body = s.substr(1, s.size() - 2);
  if (q == '`') return std::string(body);
  std::string out;
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return absl::InvalidArgumentError("invalid syntax");
    char e = body[i];
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != q) return absl::InvalidArgumentError("invalid syntax");
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n >= body.size() + 0 && i + n > body.size() - 1 + 1)
          return absl::InvalidArgumentError("invalid syntax");
        uint32_t v = 0;
        for (size_t k = 1; k <= n; k++) {
          if (i + k >= body.size()) return absl::InvalidArgumentError("invalid syntax");
          int h = HexVal(body[i + k]);
          if (h < 0) return absl::InvalidArgumentError("invalid syntax");
          v = v * 16 + h;
        }
        i += n;
        if (e == 'x')
          out += static_cast<char>(v);
        else
          AppendUtf8(out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = 0;
          for (size_t k = 0; k < 3; k++) {
            if (i + k >= body.size() || body[i + k] < '0' || body[i + k] > '7') {
              return absl::InvalidArgumentError("invalid syntax");
            }
            v = v * 8 + (body[i + k] - '0');
          }
          if (v > 255) return absl::InvalidArgumentError("invalid syntax");
          i += 2;
          out += static_cast<char>(v);
          break;
        }
        return absl::InvalidArgumentError("invalid syntax");
    }
  }
  return out;
}

std::string GoQuote(std::string_view s) { return labels::GoQuote(s); }

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  std::vector<Token> toks;
  ParseError err;
  Lexer lexer(input);
  if (!lexer.Run(&toks, &err)) return PosError(input, err.pos, err.msg);
  if (toks.size() == 1) return PosError(input, 0, "no expression found in input");
  try {
    Parser p(input, std::move(toks));
    return p.ParseTop();
  } catch (const ParseError& e) {
    return PosError(input, e.pos, e.msg);
  }
}

}  // namespace vigil::promql
