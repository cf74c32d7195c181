#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/clock/clock.h"
#include "lib/tsdb/chunk.h"

namespace vigil::tsdb {

// A series' closed chunks, oldest first, in one allocation: their count and samples, a
// 16-byte header per chunk (its last timestamp, where its bytes end, its sample count and
// coding), then the chunks' bytes back to back. A vector of headers beside one allocation
// per chunk cost a series 100-250 B more (the vector's spare capacity and malloc's
// overhead and minimum size per chunk). Dropping or replacing the oldest chunk copies the
// others into a new allocation: a series does each about once per chunk of samples.
// Up to kExactChunks chunks the allocation has the exact size and adding one copies the
// others too (most series: a rule reading 5m of a 1 s scrape keeps about 3 chunks). Past
// that, header slots are reserved up to the next power of two and an added chunk leaves
// room for a quarter more bytes, so that a series with a long retention (a [30d] rule:
// ~1,400 chunks) is built in linear time, not quadratic (backfill at start-up adds them
// all).
// Spans and positions into the bytes are invalid after any change.
class ClosedChunks {
 public:
  ClosedChunks() = default;
  ClosedChunks(const ClosedChunks&) = delete;
  ClosedChunks& operator=(const ClosedChunks&) = delete;
  ~ClosedChunks() { ::operator delete(mem_); }

  bool empty() const { return mem_ == nullptr; }
  size_t size() const { return mem_ == nullptr ? 0 : prefix().count; }
  // Samples in all of them.
  size_t num_samples() const { return mem_ == nullptr ? 0 : prefix().num_samples; }

  // Chunk `i` (< size()): its bytes, sample count, coding and last timestamp.
  std::span<const uint8_t> bytes(size_t i) const {
    const uint32_t begin = i == 0 ? DataBegin(size()) : header(i - 1).end;
    return {reinterpret_cast<const uint8_t*>(mem_) + begin, header(i).end - begin};
  }
  uint16_t num_samples(size_t i) const { return header(i).num_samples; }
  ValueCoding coding(size_t i) const { return header(i).coding; }
  TimestampMs max_t(size_t i) const { return header(i).max_t; }

  static constexpr size_t kExactChunks = 8;

  // Appends a copy of `c` (closed: no sample is appended to it afterwards in this copy).
  void PushBack(const Chunk& c);
  // Drops the `k` (<= size()) oldest chunks: the others are copied once, not once per
  // chunk dropped. The allocation is then exactly what k single drops would leave.
  void PopFront(size_t k = 1) {
    if (k > 0) Rebuild(k, nullptr, nullptr);
  }
  // Replaces the oldest chunk with a copy of `c`.
  void ReplaceFront(const Chunk& c) { Rebuild(1, &c, nullptr); }

  // The allocation's size (its spare room included); 0 when there is none.
  size_t allocated_bytes() const;

 private:
  struct Prefix {
    uint32_t count;
    uint32_t num_samples;
  };
  // Past kExactChunks the allocation's size, as the first header slot after the reserved
  // ones would show it (kept there: exact-size series pay nothing for it).
  struct Spare {
    uint64_t capacity;  // bytes allocated
    uint64_t unused;
  };
  struct Header {
    TimestampMs max_t;
    uint32_t end;  // offset of the byte after the chunk's last one
    uint16_t num_samples;
    ValueCoding coding;
  };
  // Header slots for `count` chunks: exact up to kExactChunks, then a power of two, plus
  // one for Spare.
  static size_t Slots(size_t count) {
    if (count <= kExactChunks) return count;
    size_t slots = kExactChunks * 2;
    while (slots < count) slots *= 2;
    return slots + 1;
  }
  static uint32_t DataBegin(size_t count) {
    return static_cast<uint32_t>(sizeof(Prefix) + Slots(count) * sizeof(Header));
  }
  Spare& spare() const {
    return *reinterpret_cast<Spare*>(mem_ + sizeof(Prefix) + (Slots(size()) - 1) * sizeof(Header));
  }
  const Prefix& prefix() const { return *reinterpret_cast<const Prefix*>(mem_); }
  const Header& header(size_t i) const {
    return reinterpret_cast<const Header*>(mem_ + sizeof(Prefix))[i];
  }
  // Replaces the allocation with one holding `front` (if not null), the current chunks
  // from `keep_from` on, then `back` (if not null).
  void Rebuild(size_t keep_from, const Chunk* front, const Chunk* back);

  std::byte* mem_ = nullptr;
};

}  // namespace vigil::tsdb
