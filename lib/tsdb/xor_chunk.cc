#include "lib/tsdb/xor_chunk.h"

#include <bit>

namespace vigil::tsdb {
namespace {

// Go's binary.PutUvarint / PutVarint (zig-zag).
void WriteUvarint(BitWriter& w, uint64_t x) {
  while (x >= 0x80) {
    w.WriteByte(static_cast<uint8_t>(x) | 0x80);
    x >>= 7;
  }
  w.WriteByte(static_cast<uint8_t>(x));
}
void WriteVarint(BitWriter& w, int64_t x) {
  uint64_t ux = static_cast<uint64_t>(x) << 1;
  if (x < 0) ux = ~ux;
  WriteUvarint(w, ux);
}

// Go's binary.ReadUvarint / ReadVarint, overflow checks included.
bool ReadUvarint(BitReader& r, uint64_t* out) {
  uint64_t x = 0;
  for (int i = 0, shift = 0; i < 10; ++i, shift += 7) {
    uint64_t b;
    if (!r.ReadBits(8, &b)) return false;
    if (b < 0x80) {
      if (i == 9 && b > 1) return false;
      *out = x | b << shift;
      return true;
    }
    x |= (b & 0x7f) << shift;
  }
  return false;
}
bool ReadVarint(BitReader& r, int64_t* out) {
  uint64_t ux;
  if (!ReadUvarint(r, &ux)) return false;
  int64_t x = static_cast<int64_t>(ux >> 1);
  if (ux & 1) x = ~x;
  *out = x;
  return true;
}

// Whether `x` fits the `nbits` delta-of-delta bucket: Prometheus's bitRange, whose range
// is deliberately asymmetric ([-(2^(n-1)-1), 2^(n-1)]).
bool BitRange(int64_t x, int nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= x && x <= (int64_t{1} << (nbits - 1));
}

}  // namespace

XorChunk::XorChunk() : w_(std::vector<uint8_t>(kXorHeaderBytes, 0)) {}

absl::Status XorChunk::Append(TimestampMs t, double v) {
  uint16_t num = num_;
  if (num == kXorMaxSamples) return absl::ResourceExhaustedError("chunk full");
  if (num > 0 && t < t_) return absl::InvalidArgumentError("out of order sample");
  uint64_t v_bits = std::bit_cast<uint64_t>(v);
  // Unsigned arithmetic wraps as Go's does, so even gaps beyond int64 round-trip.
  uint64_t t_delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
  if (num == 0) {
    t_delta = 0;
    WriteVarint(w_, t);
    w_.WriteBits(v_bits, 64);
  } else if (num == 1) {
    WriteUvarint(w_, t_delta);
    WriteValue(v_bits);
  } else {
    int64_t dod = static_cast<int64_t>(t_delta - t_delta_);
    if (dod == 0) {
      w_.WriteBit(false);
    } else if (BitRange(dod, 14)) {
      w_.WriteBits(0b10, 2);
      w_.WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (BitRange(dod, 17)) {
      w_.WriteBits(0b110, 3);
      w_.WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (BitRange(dod, 20)) {
      w_.WriteBits(0b1110, 4);
      w_.WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      w_.WriteBits(0b1111, 4);
      w_.WriteBits(static_cast<uint64_t>(dod), 64);
    }
    WriteValue(v_bits);
  }
  t_ = t;
  v_bits_ = v_bits;
  t_delta_ = t_delta;
  num_ = ++num;
  w_.bytes()[0] = static_cast<uint8_t>(num >> 8);
  w_.bytes()[1] = static_cast<uint8_t>(num);
  return absl::OkStatus();
}

// Prometheus's xorAppender.writeVDelta.
void XorChunk::WriteValue(uint64_t v_bits) {
  uint64_t delta = v_bits ^ v_bits_;
  if (delta == 0) {
    w_.WriteBit(false);
    return;
  }
  w_.WriteBit(true);
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;  // the window's leading count has 5 bits
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    w_.WriteBit(false);
    w_.WriteBits(delta >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  w_.WriteBit(true);
  w_.WriteBits(leading, 5);
  // 64 significant bits are written as 0 (6 bits); 0 significant bits never occur.
  int sigbits = 64 - leading - trailing;
  w_.WriteBits(static_cast<uint64_t>(sigbits), 6);
  w_.WriteBits(delta >> trailing, sigbits);
}

XorIterator::XorIterator(std::span<const uint8_t> chunk, const Cursor& at) : c_(at) {
  if (chunk.size() < kXorHeaderBytes || at.bit_pos < kXorHeaderBytes * 8) {
    corrupt_ = true;
    return;
  }
  total_ = static_cast<uint16_t>(chunk[0] << 8 | chunk[1]);
  r_ = BitReader(chunk, at.bit_pos);
}

double XorIterator::v() const { return std::bit_cast<double>(c_.v_bits); }

bool XorIterator::Next() {
  if (corrupt_ || c_.num_read >= total_) return false;
  if (!ReadTimestamp() || !ReadValue()) {
    corrupt_ = true;
    return false;
  }
  ++c_.num_read;
  return true;
}

bool XorIterator::ReadTimestamp() {
  if (c_.num_read == 0) {
    return ReadVarint(r_, &c_.t) && r_.ReadBits(64, &c_.v_bits);
  }
  if (c_.num_read == 1) {
    if (!ReadUvarint(r_, &c_.t_delta)) return false;
    c_.t = static_cast<int64_t>(static_cast<uint64_t>(c_.t) + c_.t_delta);
    return true;
  }
  int prefix = 0;  // number of leading 1 bits, at most 4
  for (bool bit = true; prefix < 4; ++prefix) {
    if (!r_.ReadBit(&bit)) return false;
    if (!bit) break;
  }
  static constexpr int kBucketBits[] = {0, 14, 17, 20, 64};
  int sz = kBucketBits[prefix];
  uint64_t dod = 0;
  if (sz != 0) {
    if (!r_.ReadBits(sz, &dod)) return false;
    // Negative values come back as large unsigned ones (docs/bstream.md in Prometheus).
    if (sz < 64 && dod > (uint64_t{1} << (sz - 1))) dod -= uint64_t{1} << sz;
  }
  c_.t_delta += dod;
  c_.t = static_cast<int64_t>(static_cast<uint64_t>(c_.t) + c_.t_delta);
  return true;
}

// Prometheus's xorIterator.readValue.
bool XorIterator::ReadValue() {
  if (c_.num_read == 0) return true;  // the first value is read with its timestamp
  bool changed;
  if (!r_.ReadBit(&changed)) return false;
  if (!changed) return true;
  bool new_window;
  if (!r_.ReadBit(&new_window)) return false;
  if (new_window) {
    uint64_t leading, sigbits;
    if (!r_.ReadBits(5, &leading) || !r_.ReadBits(6, &sigbits)) return false;
    if (sigbits == 0) sigbits = 64;
    if (leading + sigbits > 64) return false;  // no encoder writes this
    c_.leading = static_cast<uint8_t>(leading);
    c_.trailing = static_cast<uint8_t>(64 - leading - sigbits);
  }
  int sigbits = 64 - c_.leading - c_.trailing;
  uint64_t bits;
  if (!r_.ReadBits(sigbits, &bits)) return false;
  c_.v_bits ^= c_.trailing >= 64 ? 0 : bits << c_.trailing;
  return true;
}

}  // namespace vigil::tsdb
