#include "lib/json/go_string.h"

#include <cstdint>

namespace vigil::json {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// An ASCII byte written as it is (Go's safeSet, or htmlSafeSet with `escape_html`).
bool Safe(unsigned char c, bool escape_html) {
  if (c < 0x20 || c == '"' || c == '\\') return false;
  return !escape_html || (c != '<' && c != '>' && c != '&');
}

}  // namespace

int GoUtf8Length(const unsigned char* p, size_t left) {
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < left && p[i] >= lo && p[i] <= hi;
  };
  const unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool GoValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int n = GoUtf8Length(p + i, s.size() - i);
    if (n == 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

void AppendGoJsonString(std::string_view s, std::string* out, bool escape_html) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (Safe(c, escape_html)) {
        ++i;
        continue;
      }
      out->append(s.data() + run, i - run);
      out->push_back('\\');
      switch (c) {
        case '"':
        case '\\':
          out->push_back(static_cast<char>(c));
          break;
        case '\n':
          out->push_back('n');
          break;
        case '\r':
          out->push_back('r');
          break;
        case '\t':
          out->push_back('t');
          break;
        default:
          out->append("u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
      }
      run = ++i;
      continue;
    }
    const int len = GoUtf8Length(p + i, n - i);
    if (len == 0) {
      out->append(s.data() + run, i - run);
      out->append("\\ufffd");
      run = ++i;
      continue;
    }
    // U+2028 (E2 80 A8) and U+2029 (E2 80 A9): line separators JavaScript would break on.
    if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] & 0xFE) == 0xA8) {
      out->append(s.data() + run, i - run);
      out->append(p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
      run = i += 3;
      continue;
    }
    i += static_cast<size_t>(len);
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
}

}  // namespace vigil::json
