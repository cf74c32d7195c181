// The body frame of a bus message (lib/bus/wire.h), as any peer on the bus may send it:
// DecodeBody must reject or split it without reading past it, and what it splits must
// encode back to a body that splits the same way.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/bus/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  vigil::v1::BusHeader header;
  std::string_view payload;
  if (!vigil::bus::DecodeBody(body, &header, &payload)) return 0;
  if (payload.data() < body.data() ||
      payload.data() + payload.size() != body.data() + body.size()) {
    std::abort();  // the payload is the end of the body
  }
  const std::string again = vigil::bus::EncodeBody(header, payload);
  vigil::v1::BusHeader header2;
  std::string_view payload2;
  if (!vigil::bus::DecodeBody(again, &header2, &payload2) || payload2 != payload ||
      header2.SerializeAsString() != header.SerializeAsString()) {
    std::abort();
  }
  return 0;
}
