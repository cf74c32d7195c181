#pragma once

#include <string>
#include <string_view>

#include "google/protobuf/message_lite.h"
#include "vigil/v1/bus.pb.h"

namespace vigil::bus {

// A bus message on the wire is two ZeroMQ frames: the topic (what a SUB socket's prefix
// filter matches) and the body: the BusHeader's length as a varint, the BusHeader, then
// the payload. The header travels in the payload's frame rather than in its own: libzmq's
// receiver keeps a frame of more than 33 bytes (a header is ≈ 55) inside the 8 KB buffer
// it read it into, so every message waiting to be read held such a buffer (≈ 18 KB with
// libzmq's bookkeeping) besides its payload; a 100k-series evaluator had a few MB of them
// while an evaluation held its loop (docs/PERFORMANCE.md).
std::string EncodeBody(const v1::BusHeader& header, const google::protobuf::MessageLite& payload);
// The same with the payload's bytes as they are (for tests and tools that send raw bytes).
std::string EncodeBody(const v1::BusHeader& header, std::string_view payload);
// Splits a body; false when it is not one (a length past its end, a header that does not
// parse). `payload` views into `body`.
bool DecodeBody(std::string_view body, v1::BusHeader* header, std::string_view* payload);

}  // namespace vigil::bus
