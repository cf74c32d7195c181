#pragma once

#include <string>
#include <string_view>

namespace vigil::notifier {

// What a JSON text holds, in document order (a SAX interface). A call returning false
// stops the reading.
class JsonEvents {
 public:
  virtual ~JsonEvents() = default;
  virtual bool Null() = 0;
  virtual bool Boolean(bool value) = 0;
  virtual bool Number(std::string_view text) = 0;  // as written
  // Decoded (escapes resolved). The handler may move from it.
  virtual bool String(std::string& value) = 0;
  virtual bool Key(std::string& name) = 0;
  virtual bool StartObject() = 0;
  virtual bool EndObject() = 0;
  virtual bool StartArray() = 0;
  virtual bool EndArray() = 0;
};

// Reads one JSON text (RFC 8259, whitespace around it allowed, nothing after it) and
// reports it to `events`. False when the text is not JSON or a handler stopped it.
// Strings decode as Go's encoding/json does, which Alertmanager uses: an unpaired UTF-16
// surrogate escape or an invalid UTF-8 byte becomes U+FFFD; control characters must be
// escaped. Nesting deeper than kMaxDepth is rejected, as Go rejects it.
// Written for the notifier's hottest input (POST /api/v2/alerts): strings are copied in
// runs, not a byte at a time.
inline constexpr int kMaxJsonDepth = 10000;
bool ReadJson(std::string_view text, JsonEvents* events);

// Whether an object's key names the struct field `field` as Go's encoding/json matches
// them (Alertmanager reads its API bodies so): equal, or equal under Unicode simple case
// folding, e.g. `CreatedBy`, `STARTSAT`. `field` must be ASCII (all that vigil reads
// are); folding is then ASCII case plus U+017F (ſ) for s and U+212A (Kelvin sign) for k,
// exactly Go's. Go prefers an exact match among fields that fold alike; no struct read
// here has two such fields.
bool GoFieldNameMatches(std::string_view key, std::string_view field);

}  // namespace vigil::notifier
