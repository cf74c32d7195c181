#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <utility>

namespace vigil::tsdb {

// Prometheus's bstream (tsdb/chunkenc/bstream.go): bits packed most significant first into
// bytes. The writer only ever ORs bits into the last byte or adds bytes, so bytes already
// written never change: a reader over a prefix stays valid while the writer goes on, as
// long as the buffer does not move (it moves when it grows). The buffer takes 24 bytes
// (malloc's smallest block), then grows by about half: its capacities are what glibc's
// blocks of 48, 64, 96, 128, 192, 256... bytes hold (8 of a block are malloc's header), so
// no request is rounded up, and the spare bytes of an open chunk are about a fifth of it
// on average instead of a third with doubling (the open chunks were a quarter of the
// head at 100k series, docs/PERFORMANCE.md). Its capacity follows from its size, so the
// writer is 16 bytes (a std::vector and a bit count took 32): every series' open chunk
// has one.
class BitWriter {
 public:
  // Starts after `n` zero bytes (byte aligned).
  explicit BitWriter(size_t n = 0) {
    for (size_t i = 0; i < n; ++i) AddByte();
  }
  BitWriter(BitWriter&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        free_(std::exchange(o.free_, 0)) {}
  BitWriter& operator=(BitWriter&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      free_ = std::exchange(o.free_, 0);
    }
    return *this;
  }
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;
  ~BitWriter() { std::free(data_); }

  // The low `n` (0..64) bits of `v`, most significant first.
  void WriteBits(uint64_t v, int n) {
    while (n > 0) {
      if (free_ == 0) {
        AddByte();
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      uint8_t bits = static_cast<uint8_t>((v >> (n - take)) & ((1u << take) - 1));
      data_[size_ - 1] |= static_cast<uint8_t>(bits << (free_ - take));
      free_ = static_cast<uint8_t>(free_ - take);
      n -= take;
    }
  }
  void WriteBit(bool b) { WriteBits(b ? 1 : 0, 1); }
  void WriteByte(uint8_t b) { WriteBits(b, 8); }

  std::span<uint8_t> bytes() { return {data_, size_}; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // The buffer's size.
  size_t capacity() const { return Capacity(size_); }

 private:
  static constexpr size_t kMallocHeader = 8;
  static size_t Capacity(uint32_t size) {
    if (size == 0) return 0;
    const size_t block = size_t{size} + kMallocHeader;
    if (block <= 32) return 32 - kMallocHeader;
    // The smallest of 1.5 p and 2 p (p a power of two, p < block <= 2 p) that holds it.
    const size_t p = std::bit_floor(block - 1);
    return (block <= p + p / 2 ? p + p / 2 : 2 * p) - kMallocHeader;
  }
  void AddByte() {
    // Full when the size is the capacity (0 before the first byte).
    if (size_ == Capacity(size_)) {
      void* p = std::realloc(data_, Capacity(size_ + 1));
      if (p == nullptr) throw std::bad_alloc();
      data_ = static_cast<uint8_t*>(p);
    }
    data_[size_++] = 0;
  }

  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  uint8_t free_ = 0;  // unwritten bits left in the last byte
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
  // Reads the '1' bits before the first '0' and that '0', or `max` (0..56) '1' bits and
  // nothing after them; `*ones` is how many '1' bits there were. One load and a count
  // instead of a read per bit (prefix codes: most prefixes are short, some are not).
  bool ReadOnes(int max, int* ones) {
    const size_t size_bits = bytes_.size() * 8;
    if (max < 0 || max > 56 || pos_ > size_bits) return false;
    const size_t byte = pos_ >> 3;
    const size_t n = std::min<size_t>(8, bytes_.size() - byte);
    uint64_t w = 0;
    if (n == 8) {
      std::memcpy(&w, bytes_.data() + byte, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    } else {
      for (size_t i = 0; i < n; ++i) w |= uint64_t{bytes_[byte + i]} << (56 - 8 * i);
    }
    const int skip = static_cast<int>(pos_ & 7);
    w <<= skip;
    const int valid = static_cast<int>(n) * 8 - skip;  // >= 57 unless near the end
    // The bits past the input are 0, so count <= valid: `max` ones are all inside it.
    const int count = std::countl_one(w);
    if (count >= max) {
      pos_ += static_cast<size_t>(max);
      *ones = max;
      return true;
    }
    if (count >= valid) return false;  // the '0' would be past the end
    pos_ += static_cast<size_t>(count) + 1;
    *ones = count;
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
