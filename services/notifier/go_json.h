#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace vigil::notifier {

// Go's regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$ (Alertmanager puts
// the receiver's name through it in template data, so webhook payloads carry it so).
std::string GoQuoteMeta(std::string_view s);

// Go's strconv.Quote (fmt's %q), as go-openapi quotes a value in its errors: ASCII as
// labels::GoQuote writes it, an invalid UTF-8 byte as \xff, other runes as they are unless
// Go's unicode.IsPrint says no (then \u00a0, \U000e0001). IsPrint is approximated without
// Unicode's tables: the runes escaped are C1 controls, space separators other than
// U+0020, line and paragraph separators, the common format characters (U+00AD, U+061C,
// U+180E, U+200B-U+200F, U+202A-U+202E, U+2060-U+206F, U+FEFF, U+FFF9-U+FFFB, the tags
// U+E0001-U+E007F), private use and noncharacters U+FFFE/U+FFFF; an unassigned rune is
// written as it is where Go escapes it.
std::string GoQuote(std::string_view s);

// `j` written compactly, in its own member order, with every string (object keys too) escaped
// as Go's encoding/json does (json::AppendGoJsonString; `escape_html` false as with
// json.Encoder.SetEscapeHTML(false)). Integers and booleans are written as Go writes them;
// the trees given hold no floats.
std::string DumpGoJson(const nlohmann::ordered_json& j, bool escape_html = true);

// The error body of go-openapi, Alertmanager's API server, for a request its swagger
// validation refuses before any handler runs: {"code","message"} through json.Marshal
// (HTML escaped) and no newline. Codes: 601 a value not of its format, 602 a required
// value missing (both answered 422); an HTTP status (400) for a body that does not decode.
std::string OpenApiErrorJson(int code, const std::string& message);

}  // namespace vigil::notifier
