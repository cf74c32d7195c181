// PromQL literals: durations ("1h30m"), numbers (decimal, hex, octal-like ints, Inf,
// NaN) and Go string literals, as Prometheus's lexer and parser read them (parser.h).

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <string>

#include "lib/base/format.h"
#include "lib/promql/lexer.h"
#include "lib/promql/parser.h"

namespace vigil::promql {
namespace {

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

using internal::Lower;

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

}  // namespace vigil::promql
