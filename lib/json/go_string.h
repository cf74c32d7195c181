#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::json {

// The length (2 to 4) of the valid UTF-8 sequence at `p`, `left` bytes available, by Go's
// utf8.DecodeRune rules (no overlong forms, no surrogates, nothing above U+10FFFF); 0 when
// the bytes there are not one (ASCII included).
int GoUtf8Length(const unsigned char* p, size_t left);

// Go's utf8.ValidString: every byte belongs to a valid sequence by those rules.
bool GoValidUtf8(std::string_view s);

// Appends `s` as a JSON string exactly as Go's encoding/json writes it by default
// (json.Marshal, json.Encoder with HTML escaping on; Go 1.19, which Prometheus 2.42 and
// Alertmanager 0.25 are built with): `"` and `\` backslashed; \n, \r, \t short; other
// control characters, `<`, `>`, `&`, U+2028 and U+2029 as \u00XX / \u20XX; an invalid
// UTF-8 byte as \ufffd; all else as it is. What Prometheus's API answers and
// Alertmanager's payloads need to be byte for byte the same. With `escape_html` false,
// `<`, `>` and `&` stay as they are, as with json.Encoder.SetEscapeHTML(false) (what
// go-openapi's JSON producer writes Alertmanager's API answers with); the rest is the same.
void AppendGoJsonString(std::string_view s, std::string* out, bool escape_html = true);

}  // namespace vigil::json
