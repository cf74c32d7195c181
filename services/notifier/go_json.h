#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::notifier {

// Go's regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$ (Alertmanager puts
// the receiver's name through it in template data, so webhook payloads carry it so).
std::string GoQuoteMeta(std::string_view s);

}  // namespace vigil::notifier
