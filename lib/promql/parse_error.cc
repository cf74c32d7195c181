// Formatting parse errors the way Prometheus words them.

#include "lib/promql/parse_error.h"

#include "lib/base/format.h"
#include "lib/promql/parser.h"
#include "re2/re2.h"

namespace vigil::promql::internal {

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
    case Tok::kAssign:  // EQL is not among Prometheus's operators: quoted, not <op:=>
      return GoQuote(t.text);
    default:
      return StrCat("<op:", t.text, ">");
  }
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

}  // namespace vigil::promql::internal
