#include "lib/bus/wire.h"

#include <cstdint>

#include "google/protobuf/io/coded_stream.h"

namespace vigil::bus {

namespace {

// A header is tens of bytes; a length past this is not one.
constexpr uint64_t kMaxHeaderSize = 1 << 16;

std::string HeaderPrefix(const v1::BusHeader& header) {
  const std::string bytes = header.SerializeAsString();
  uint8_t size[5];  // a 32-bit varint's most
  const uint8_t* size_end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(bytes.size()), size);
  std::string out(reinterpret_cast<const char*>(size), size_end - size);
  out += bytes;
  return out;
}

}  // namespace

std::string EncodeBody(const v1::BusHeader& header, const google::protobuf::MessageLite& payload) {
  std::string body = HeaderPrefix(header);
  payload.AppendToString(&body);
  return body;
}

std::string EncodeBody(const v1::BusHeader& header, std::string_view payload) {
  std::string body = HeaderPrefix(header);
  body.append(payload);
  return body;
}

bool DecodeBody(std::string_view body, v1::BusHeader* header, std::string_view* payload) {
  uint64_t size = 0;
  size_t at = 0;
  for (int shift = 0;; shift += 7) {
    if (at == body.size() || shift > 14) return false;
    const auto byte = static_cast<uint8_t>(body[at++]);
    size |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (size > kMaxHeaderSize || size > body.size() - at) return false;
  if (!header->ParseFromArray(body.data() + at, static_cast<int>(size))) return false;
  *payload = body.substr(at + size);
  return true;
}

}  // namespace vigil::bus
