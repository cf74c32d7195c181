#include "services/notifier/go_json.h"

namespace vigil::notifier {

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

}  // namespace vigil::notifier
