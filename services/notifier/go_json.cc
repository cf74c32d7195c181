#include "services/notifier/go_json.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "lib/json/go_string.h"
#include "lib/labels/labels.h"

namespace vigil::notifier {

namespace {

void AppendGoJson(const nlohmann::ordered_json& j, bool escape_html, std::string* out) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.items()) {
        if (!first) out->push_back(',');
        first = false;
        json::AppendGoJsonString(key, out, escape_html);
        out->push_back(':');
        AppendGoJson(value, escape_html, out);
      }
      out->push_back('}');
      return;
    }
    case nlohmann::ordered_json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& value : j) {
        if (!first) out->push_back(',');
        first = false;
        AppendGoJson(value, escape_html, out);
      }
      out->push_back(']');
      return;
    }
    case nlohmann::ordered_json::value_t::string:
      json::AppendGoJsonString(j.get_ref<const std::string&>(), out, escape_html);
      return;
    default:  // null, booleans and integers: the same in both
      out->append(j.dump());
  }
}

// Go's unicode.IsPrint for a non-ASCII rune, approximated (see GoQuote).
bool IsPrintNonAscii(uint32_t r) {
  if (r <= 0x9F || r == 0xA0 || r == 0xAD || r == 0x61C || r == 0x1680 || r == 0x180E) {
    return false;
  }
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;  // private use
  if (r >= 0xE0001 && r <= 0xE007F) return false;                  // tags
  return true;
}

uint32_t DecodeUtf8(const unsigned char* p, int n) {
  if (n == 2) return (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
  if (n == 3) return (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
  return (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t ascii = i;
    while (ascii < s.size() && p[ascii] < 0x80) ++ascii;
    if (ascii > i) {
      const std::string quoted = labels::GoQuote(s.substr(i, ascii - i));
      out.append(quoted, 1, quoted.size() - 2);
      i = ascii;
      continue;
    }
    const int n = json::GoUtf8Length(p + i, s.size() - i);
    if (n == 0) {
      out += absl::StrFormat("\\x%02x", p[i]);
      ++i;
      continue;
    }
    const uint32_t r = DecodeUtf8(p + i, n);
    if (IsPrintNonAscii(r)) {
      out.append(s.substr(i, static_cast<size_t>(n)));
    } else {
      out += r < 0x10000 ? absl::StrFormat("\\u%04x", r) : absl::StrFormat("\\U%08x", r);
    }
    i += static_cast<size_t>(n);
  }
  out += '"';
  return out;
}

std::string GoQuoteMeta(std::string_view s) {
  constexpr std::string_view kSpecial = "\\.+*?()|[]{}^$";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (kSpecial.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string DumpGoJson(const nlohmann::ordered_json& j, bool escape_html) {
  std::string out;
  AppendGoJson(j, escape_html, &out);
  return out;
}

std::string OpenApiErrorJson(int code, const std::string& message) {
  return DumpGoJson(nlohmann::ordered_json{{"code", code}, {"message", message}});
}

}  // namespace vigil::notifier
