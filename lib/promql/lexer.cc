// The PromQL lexer: input to tokens, and the keyword and operator tables.

#include "lib/promql/lexer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "lib/base/format.h"
#include "lib/json/go_string.h"

namespace vigil::promql::internal {

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// The length of the valid UTF-8 sequence at s[i] (1 for ASCII), 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
  if (*p < 0x80) return 1;
  return static_cast<size_t>(json::GoUtf8Length(p, s.size() - i));
}

// Go's %#U of one character of `s` at i (its UTF-8 bytes, `len` of them): "U+0071 'q'",
// or "U+000A" alone when it is not printable (ASCII controls and DEL, C1 controls).
std::string GoRuneU(std::string_view s, size_t i, size_t len) {
  uint32_t r = static_cast<unsigned char>(s[i]);
  if (len > 1) {
    r &= 0xFF >> (len + 1);
    for (size_t k = 1; k < len; ++k) r = (r << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  char hex[16];
  std::snprintf(hex, sizeof(hex), "U+%04X", r);
  const bool printable = (r >= 0x20 && r < 0x7F) || r >= 0xA0;
  return printable ? StrCat(hex, " '", s.substr(i, len), "'") : std::string(hex);
}

}  // namespace

// Prometheus's lexString / lexRawString / lexEscape (promql/parser/lex.go): the checks it
// makes while scanning, each reported at the string's start.
absl::StatusOr<size_t> ScanString(std::string_view in, size_t start) {
  const char quote = in[start];
  const bool raw = quote == '`';
  size_t j = start + 1;
  // Go's next() yields utf8.RuneError for an invalid byte and for U+FFFD itself.
  auto rune_error = [&](size_t at, size_t len) {
    return len == 0 || (len == 3 && in.substr(at, 3) == "\xEF\xBF\xBD");
  };
  while (true) {
    if (j >= in.size()) {
      return absl::InvalidArgumentError(raw ? "unterminated raw string"
                                            : "unterminated quoted string");
    }
    const char c = in[j];
    const size_t len = Utf8Length(in, j);
    if (rune_error(j, len)) return absl::InvalidArgumentError("invalid UTF-8 rune");
    if (c == quote) return j + 1;
    if (raw) {
      j += len;
      continue;
    }
    if (c == '\n') return absl::InvalidArgumentError("unterminated quoted string");
    if (c != '\\') {
      j += len;
      continue;
    }
    // An escape: lexEscape.
    ++j;
    if (j >= in.size()) return absl::InvalidArgumentError("escape sequence not terminated");
    const char e = in[j];
    int digits = 0;
    uint32_t base = 0, max = 0;
    if (std::string_view("abfnrtv\\").find(e) != std::string_view::npos || e == quote) {
      ++j;
      continue;
    } else if (e >= '0' && e <= '7') {
      digits = 3, base = 8, max = 255;
    } else if (e == 'x') {
      digits = 2, base = 16, max = 255, ++j;
    } else if (e == 'u') {
      digits = 4, base = 16, max = 0x10FFFF, ++j;
    } else if (e == 'U') {
      digits = 8, base = 16, max = 0x10FFFF, ++j;
    } else {
      const size_t elen = std::max<size_t>(Utf8Length(in, j), 1);
      return absl::InvalidArgumentError(StrCat("unknown escape sequence ", GoRuneU(in, j, elen)));
    }
    uint32_t x = 0;
    for (; digits > 0; --digits, ++j) {
      if (j >= in.size()) return absl::InvalidArgumentError("escape sequence not terminated");
      const char d = in[j];
      uint32_t v = 16;
      if (d >= '0' && d <= '9') v = static_cast<uint32_t>(d - '0');
      if (d >= 'a' && d <= 'f') v = static_cast<uint32_t>(d - 'a' + 10);
      if (d >= 'A' && d <= 'F') v = static_cast<uint32_t>(d - 'A' + 10);
      if (v >= base) {
        const size_t dlen = std::max<size_t>(Utf8Length(in, j), 1);
        return absl::InvalidArgumentError(
            StrCat("illegal character ", GoRuneU(in, j, dlen), " in escape sequence"));
      }
      x = x * base + v;
    }
    if (x > max || (x >= 0xD800 && x < 0xE000)) {
      return absl::InvalidArgumentError("escape sequence is an invalid Unicode code point");
    }
  }
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
      auto end = ScanString(in_, start);
      if (!end.ok()) {
        *err = {static_cast<int>(start), std::string(end.status().message())};
        return false;
      }
      emit(Tok::kString, *end - start);
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
