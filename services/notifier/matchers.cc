#include "services/notifier/matchers.h"

#include <tuple>

#include "lib/base/format.h"
#include "lib/json/go_string.h"

namespace vigil::notifier {

namespace {

// Go regexp's \s: [\t\n\f\r ].
bool IsRegexpSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// The length of the Unicode space (Go's unicode.IsSpace) that `s` starts with (front) or
// ends with (back), 0 when none.
size_t GoSpaceAt(std::string_view s, bool back) {
  static constexpr std::string_view kSpaces[] = {
      "\t",     "\n",     "\v",     "\f",     "\r",     " ",      "\u0085", "\u00a0", "\u1680",
      "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
      "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"};
  for (std::string_view sp : kSpaces) {
    if (back ? s.ends_with(sp) : s.starts_with(sp)) return sp.size();
  }
  return 0;
}

// strings.TrimSpace.
std::string_view TrimGoSpace(std::string_view s) {
  while (size_t n = GoSpaceAt(s, false)) s.remove_prefix(n);
  while (size_t n = GoSpaceAt(s, true)) s.remove_suffix(n);
  return s;
}

}  // namespace

// The regexp Alertmanager matches, ^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$,
// walked by hand: no choice in it can be undone by a later part (a shorter name would leave
// a name character where space or an operator must follow; `=~` is tried before `=`).
absl::StatusOr<labels::Matcher> ParseMatcher(std::string_view s) {
  const auto bad = [&] { return absl::InvalidArgumentError(StrCat("bad matcher format: ", s)); };
  size_t i = 0;
  while (i < s.size() && IsRegexpSpace(s[i])) ++i;
  if (i == s.size() || !IsNameStart(s[i])) return bad();
  const size_t name_begin = i;
  while (i < s.size() && IsNameChar(s[i])) ++i;
  std::string name(s.substr(name_begin, i - name_begin));
  while (i < s.size() && IsRegexpSpace(s[i])) ++i;
  const std::string_view rest = s.substr(i);
  labels::MatchType type;
  if (rest.starts_with("=~")) {
    type = labels::MatchType::kRegex;
  } else if (rest.starts_with("=")) {
    type = labels::MatchType::kEqual;
  } else if (rest.starts_with("!=")) {
    type = labels::MatchType::kNotEqual;
  } else if (rest.starts_with("!~")) {
    type = labels::MatchType::kNotRegex;
  } else {
    return bad();
  }
  std::string_view raw = rest.substr(type == labels::MatchType::kEqual ? 1 : 2);
  while (!raw.empty() && IsRegexpSpace(raw.front())) raw.remove_prefix(1);
  while (!raw.empty() && IsRegexpSpace(raw.back())) raw.remove_suffix(1);
  const std::string_view quoted = raw;  // what the errors quote, as Alertmanager's ms[3]

  bool expect_trailing_quote = false;
  if (!raw.empty() && raw.front() == '"') {
    raw.remove_prefix(1);
    expect_trailing_quote = true;
  }
  if (!json::GoValidUtf8(raw)) {
    return absl::InvalidArgumentError(StrCat("matcher value not valid UTF-8: ", quoted));
  }
  const auto unescaped_quote = [&] {
    return absl::InvalidArgumentError(
        StrCat("matcher value contains unescaped double quote: ", quoted));
  };
  // Byte by byte: every byte of a multi-byte character is >= 0x80 and matches no case.
  std::string value;
  bool escaped = false;
  for (size_t j = 0; j < raw.size(); ++j) {
    const char c = raw[j];
    if (escaped) {
      escaped = false;
      if (c == 'n') {
        value += '\n';
      } else if (c == '"' || c == '\\') {
        value += c;
      } else {  // a spurious escape: the backslash is literal
        value += '\\';
        value += c;
      }
      continue;
    }
    if (c == '\\') {
      if (j + 1 < raw.size()) {
        escaped = true;
      } else {
        value += '\\';  // a backslash as the last byte is literal
      }
    } else if (c == '"') {
      if (!expect_trailing_quote || j + 1 < raw.size()) return unescaped_quote();
      expect_trailing_quote = false;
    } else {
      value += c;
    }
  }
  if (expect_trailing_quote) return unescaped_quote();
  return labels::Matcher::Create(type, std::move(name), std::move(value));
}

absl::StatusOr<std::vector<labels::Matcher>> ParseMatchers(std::string_view s) {
  if (s.starts_with('{')) s.remove_prefix(1);
  if (s.ends_with('}')) s.remove_suffix(1);
  std::vector<std::string> tokens;
  std::string token;
  bool inside_quotes = false;
  bool escaped = false;
  // Go ranges over runes: an invalid UTF-8 byte is read, and written back, as U+FFFD.
  for (size_t i = 0; i < s.size();) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
    if (*p >= 0x80) {
      const int n = json::GoUtf8Length(p, s.size() - i);
      if (n == 0) {
        token += "\uFFFD";
        ++i;
      } else {
        token.append(s.substr(i, static_cast<size_t>(n)));
        i += static_cast<size_t>(n);
      }
      escaped = false;
      continue;
    }
    const char c = s[i++];
    if (c == ',') {
      if (!inside_quotes) {
        tokens.push_back(std::move(token));
        token.clear();
        continue;
      }
      // A comma inside quotes leaves `escaped` as it was, as Alertmanager's loop does.
    } else if (c == '"') {
      if (!escaped) {
        inside_quotes = !inside_quotes;
      } else {
        escaped = false;
      }
    } else if (c == '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += c;
  }
  if (std::string_view last = TrimGoSpace(token); !last.empty()) tokens.emplace_back(last);

  std::vector<labels::Matcher> out;
  out.reserve(tokens.size());
  for (const std::string& t : tokens) {
    auto m = ParseMatcher(t);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

bool MatcherLess(const labels::Matcher& a, const labels::Matcher& b) {
  return std::forward_as_tuple(a.name(), a.value(), a.type()) <
         std::forward_as_tuple(b.name(), b.value(), b.type());
}

}  // namespace vigil::notifier
