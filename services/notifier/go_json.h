#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace vigil::notifier {

// Go's regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$ (Alertmanager puts
// the receiver's name through it in template data, so webhook payloads carry it so).
std::string GoQuoteMeta(std::string_view s);

// `j` written compactly, in its own member order, with every string (object keys too) escaped
// as Go's encoding/json does (json::AppendGoJsonString; `escape_html` false as with
// json.Encoder.SetEscapeHTML(false)). Integers and booleans are written as Go writes them;
// the trees given hold no floats.
std::string DumpGoJson(const nlohmann::ordered_json& j, bool escape_html = true);

}  // namespace vigil::notifier
