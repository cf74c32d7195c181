#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "lib/clock/clock.h"
#include "lib/tsdb/bit_stream.h"

namespace vigil::tsdb {

// Prometheus's XOR chunk (tsdb/chunkenc/xor.go), byte for byte: a 2-byte big-endian sample
// count, then the first sample as a zig-zag varint timestamp and the 64 raw bits of its
// value, the second as a uvarint timestamp delta and an XOR-encoded value, and every later
// one as a delta-of-delta timestamp ('0', or '10'/'110'/'1110' + 14/17/20 bits, or '1111' +
// 64 bits) and an XOR-encoded value ('0' = unchanged; '10' + the meaningful bits inside the
// previous leading/trailing-zero window; '11' + 5 bits leading zeros + 6 bits length +
// bits). Values are stored as their bit patterns, so every NaN payload (the staleness
// marker included), -0.0 and the infinities come back exactly.
inline constexpr size_t kXorHeaderBytes = 2;
inline constexpr uint16_t kXorMaxSamples = 0xffff;

// An open chunk and its appender (Prometheus's XORChunk + xorAppender).
class XorChunk {
 public:
  XorChunk();

  // InvalidArgument when `t` is older than the last sample (a negative delta; an equal
  // timestamp is encodable and accepted: duplicate rejection is the head's business),
  // ResourceExhausted when the 16-bit sample count is full.
  absl::Status Append(TimestampMs t, double v);

  // Kept beside the header's copy: readers ask for it once per series and evaluation, and
  // the header is in another cache line.
  uint16_t num_samples() const { return num_; }
  // Valid when num_samples() > 0.
  TimestampMs last_t() const { return t_; }
  // The encoded chunk, header included. Stays a valid prefix of later states.
  std::span<const uint8_t> bytes() const { return w_.bytes(); }
  size_t capacity_bytes() const { return w_.bytes().capacity(); }

 private:
  void WriteValue(uint64_t v_bits);

  BitWriter w_;
  TimestampMs t_ = 0;
  uint64_t v_bits_ = 0;
  uint64_t t_delta_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
  uint16_t num_ = 0;
};

// Decodes a chunk (Prometheus's xorIterator). Never reads outside `chunk`: corrupt or
// truncated input ends the iteration with corrupt() set.
class XorIterator {
 public:
  // Where decoding stands after some samples: all the decoder carries between samples.
  // Saved and handed back to resume without decoding the samples before it again.
  struct Cursor {
    uint32_t bit_pos = kXorHeaderBytes * 8;
    uint16_t num_read = 0;
    uint8_t leading = 0;
    uint8_t trailing = 0;
    int64_t t = 0;
    uint64_t t_delta = 0;
    uint64_t v_bits = 0;
  };

  explicit XorIterator(std::span<const uint8_t> chunk) : XorIterator(chunk, Cursor{}) {}
  // Resumes at `at`, a cursor() of an iterator over this chunk or a prefix of it.
  XorIterator(std::span<const uint8_t> chunk, const Cursor& at);

  // Advances to the next sample; false at the end or on corrupt input.
  bool Next();
  TimestampMs t() const { return c_.t; }
  double v() const;
  uint64_t v_bits() const { return c_.v_bits; }

  bool corrupt() const { return corrupt_; }
  uint16_t num_samples() const { return total_; }
  // The position after the current sample: the next Next() reads the one after it.
  Cursor cursor() const {
    Cursor c = c_;
    c.bit_pos = static_cast<uint32_t>(r_.bit_pos());
    return c;
  }

 private:
  bool ReadTimestamp();
  bool ReadValue();

  BitReader r_;
  Cursor c_;
  uint16_t total_ = 0;
  bool corrupt_ = false;
};

}  // namespace vigil::tsdb
