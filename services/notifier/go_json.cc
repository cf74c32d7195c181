#include "services/notifier/go_json.h"

#include <nlohmann/json.hpp>

#include "lib/json/go_string.h"

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

}  // namespace

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

}  // namespace vigil::notifier
