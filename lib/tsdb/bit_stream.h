#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace vigil::tsdb {

// Prometheus's bstream (tsdb/chunkenc/bstream.go): bits packed most significant first into
// bytes. The writer only ever ORs bits into the last byte or adds bytes, so bytes already
// written never change: a reader over a prefix stays valid while the writer goes on.
class BitWriter {
 public:
  // Starts after `bytes` (byte aligned), which the writer then owns.
  explicit BitWriter(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

  // The low `n` (0..64) bits of `v`, most significant first.
  void WriteBits(uint64_t v, int n) {
    while (n > 0) {
      if (free_ == 0) {
        bytes_.push_back(0);
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      uint8_t bits = static_cast<uint8_t>((v >> (n - take)) & ((1u << take) - 1));
      bytes_.back() |= static_cast<uint8_t>(bits << (free_ - take));
      free_ -= take;
      n -= take;
    }
  }
  void WriteBit(bool b) { WriteBits(b ? 1 : 0, 1); }
  void WriteByte(uint8_t b) { WriteBits(b, 8); }

  std::vector<uint8_t>& bytes() { return bytes_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  int free_ = 0;  // unwritten bits left in the last byte
};

// Reads what a BitWriter wrote. Reading past the end fails (returns false) rather than
// inventing zeros, so corrupt input is detected.
class BitReader {
 public:
  BitReader() = default;
  BitReader(std::span<const uint8_t> bytes, size_t bit_pos) : bytes_(bytes), pos_(bit_pos) {}

  bool ReadBits(int n, uint64_t* out) {
    if (n < 0 || n > 64 || pos_ + static_cast<size_t>(n) > bytes_.size() * 8) return false;
    uint64_t v = 0;
    while (n > 0) {
      int avail = 8 - static_cast<int>(pos_ & 7);
      int take = n < avail ? n : avail;
      uint64_t bits = (bytes_[pos_ >> 3] >> (avail - take)) & ((1u << take) - 1);
      v = (v << take) | bits;
      pos_ += static_cast<size_t>(take);
      n -= take;
    }
    *out = v;
    return true;
  }
  bool ReadBit(bool* out) {
    uint64_t b;
    if (!ReadBits(1, &b)) return false;
    *out = b != 0;
    return true;
  }

  size_t bit_pos() const { return pos_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace vigil::tsdb
