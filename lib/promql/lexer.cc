// The PromQL lexer: input to tokens, and the keyword and operator tables.

#include "lib/promql/lexer.h"

#include <cctype>

#include "lib/base/format.h"

namespace vigil::promql::internal {

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Lexer::Run(std::vector<Token>* out, ParseError* err) {
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
      out->push_back(
          {Tok::kEOF, static_cast<int>(in_.size()), paren_depth_ > 0 ? kUnclosedParen : ""});
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

}  // namespace vigil::promql::internal
