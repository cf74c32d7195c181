#include "lib/tsdb/closed_chunks.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::tsdb {
namespace {

// A chunk of `n` samples at t0, t0 + 1000, ... with values v0, v0 + 1, ...
Chunk MakeChunk(ValueCoding coding, int n, TimestampMs t0, double v0) {
  Chunk c(coding);
  for (int i = 0; i < n; ++i) EXPECT_TRUE(c.Append(t0 + i * 1000, v0 + i).ok());
  return c;
}

std::vector<uint8_t> Bytes(std::span<const uint8_t> b) { return {b.begin(), b.end()}; }

TEST(ClosedChunksTest, KeepsEachChunksBytesAndFacts) {
  ClosedChunks cs;
  EXPECT_TRUE(cs.empty());
  EXPECT_EQ(cs.size(), 0u);
  EXPECT_EQ(cs.num_samples(), 0u);
  EXPECT_EQ(cs.allocated_bytes(), 0u);

  Chunk a = MakeChunk(ValueCoding::Decimal(0), 120, 0, 5);
  Chunk b = MakeChunk(ValueCoding::Xor(), 7, 200'000, 0.25);
  Chunk c = MakeChunk(ValueCoding::Decimal(2), 1, 300'000, 1.5);
  cs.PushBack(a);
  cs.PushBack(b);
  cs.PushBack(c);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs.num_samples(), 128u);
  const Chunk* want[] = {&a, &b, &c};
  size_t bytes = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Bytes(cs.bytes(i)), Bytes(want[i]->bytes())) << i;
    EXPECT_EQ(cs.num_samples(i), want[i]->num_samples()) << i;
    EXPECT_EQ(cs.coding(i), want[i]->coding()) << i;
    EXPECT_EQ(cs.max_t(i), want[i]->last_t()) << i;
    bytes += want[i]->bytes().size();
  }
  // The bytes, a 16-byte header each and an 8-byte count: nothing else.
  EXPECT_EQ(cs.allocated_bytes(), bytes + 3 * 16 + 8);

  Chunk shorter = MakeChunk(ValueCoding::Xor(), 3, 204'000, 4.25);
  cs.ReplaceFront(b);  // b, b, c
  cs.PopFront();
  cs.ReplaceFront(shorter);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs.num_samples(), 4u);
  EXPECT_EQ(Bytes(cs.bytes(0)), Bytes(shorter.bytes()));
  EXPECT_EQ(cs.max_t(0), 206'000);
  EXPECT_EQ(Bytes(cs.bytes(1)), Bytes(c.bytes()));
  EXPECT_EQ(cs.coding(1), ValueCoding::Decimal(2));

  cs.PopFront();
  cs.PopFront();
  EXPECT_TRUE(cs.empty());
  EXPECT_EQ(cs.num_samples(), 0u);
  EXPECT_EQ(cs.allocated_bytes(), 0u);
  cs.PushBack(c);
  EXPECT_EQ(cs.size(), 1u);
  EXPECT_EQ(Bytes(cs.bytes(0)), Bytes(c.bytes()));
}

// A long retention: thousands of chunks added one by one (as backfill adds them) are
// kept exactly, the allocation grows in steps (amortized: not a copy of all per chunk),
// and dropping and replacing still work past the reserved room.
TEST(ClosedChunksTest, ManyChunksGrowInStepsAndStayExact) {
  ClosedChunks cs;
  std::vector<Chunk> chunks;
  for (int i = 0; i < 40; ++i) {
    chunks.push_back(MakeChunk(i % 2 ? ValueCoding::Xor() : ValueCoding::Decimal(1),
                               1 + i % 120, i * 1'000'000, i * 0.5));
  }
  size_t reallocations = 0;
  const std::byte* last = nullptr;
  size_t samples = 0;
  for (int round = 0; round < 100; ++round) {  // 4,000 chunks
    for (const Chunk& c : chunks) {
      cs.PushBack(c);
      samples += c.num_samples();
      const std::byte* now = reinterpret_cast<const std::byte*>(cs.bytes(0).data());
      if (now != last) ++reallocations;
      last = now;
    }
  }
  ASSERT_EQ(cs.size(), 4000u);
  EXPECT_EQ(cs.num_samples(), samples);
  for (size_t i = 0; i < cs.size(); ++i) {
    const Chunk& want = chunks[i % chunks.size()];
    ASSERT_EQ(Bytes(cs.bytes(i)), Bytes(want.bytes())) << i;
    ASSERT_EQ(cs.num_samples(i), want.num_samples()) << i;
    ASSERT_EQ(cs.coding(i), want.coding()) << i;
    ASSERT_EQ(cs.max_t(i), want.last_t()) << i;
  }
  EXPECT_LT(reallocations, 100u);  // ~4,000 without the spare room
  size_t used = 8 + 16 * 4096 + 16;
  for (size_t i = 0; i < cs.size(); ++i) used += cs.bytes(i).size();
  EXPECT_GE(cs.allocated_bytes(), used);

  // Down to a few, across the exact-size boundary, and back up.
  while (cs.size() > 3) cs.PopFront();
  cs.ReplaceFront(chunks[7]);
  EXPECT_EQ(Bytes(cs.bytes(0)), Bytes(chunks[7].bytes()));
  EXPECT_EQ(Bytes(cs.bytes(2)), Bytes(chunks[39].bytes()));
  size_t exact = 8 + 3 * 16;
  for (size_t i = 0; i < 3; ++i) exact += cs.bytes(i).size();
  EXPECT_EQ(cs.allocated_bytes(), exact);
  for (int i = 0; i < 20; ++i) cs.PushBack(chunks[i]);
  ASSERT_EQ(cs.size(), 23u);
  EXPECT_EQ(Bytes(cs.bytes(22)), Bytes(chunks[19].bytes()));
  EXPECT_EQ(Bytes(cs.bytes(3)), Bytes(chunks[0].bytes()));
}

// The allocation an exact-size ClosedChunks holding `cs`'s chunks from `from` on has.
size_t ExactBytes(const ClosedChunks& cs, size_t from) {
  size_t bytes = 8 + (cs.size() - from) * 16;
  for (size_t i = from; i < cs.size(); ++i) bytes += cs.bytes(i).size();
  return bytes;
}

// PopFront(k) drops k chunks at once and leaves what k single drops would: the same
// chunks and the same allocation size (MemoryBytes counts it), with and without the room
// that growth reserves.
TEST(ClosedChunksTest, PopFrontManyIsKSingleDrops) {
  std::vector<Chunk> chunks;
  for (int i = 0; i < 30; ++i) {
    chunks.push_back(MakeChunk(i % 3 ? ValueCoding::Xor() : ValueCoding::Decimal(2),
                               1 + i * 7 % 50, i * 1'000'000, i * 0.25));
  }
  auto filled = [&](ClosedChunks& cs, size_t n) {
    for (size_t i = 0; i < n; ++i) cs.PushBack(chunks[i]);
  };
  auto expect_same = [&](const ClosedChunks& got, const ClosedChunks& want) {
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(got.num_samples(), want.num_samples());
    EXPECT_EQ(got.allocated_bytes(), want.allocated_bytes());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(Bytes(got.bytes(i)), Bytes(want.bytes(i))) << i;
      EXPECT_EQ(got.num_samples(i), want.num_samples(i)) << i;
      EXPECT_EQ(got.coding(i), want.coding(i)) << i;
      EXPECT_EQ(got.max_t(i), want.max_t(i)) << i;
    }
  };

  // k = 0: nothing changes, not even the allocation (its spare room stays).
  ClosedChunks zero;
  filled(zero, 20);
  const std::byte* before = reinterpret_cast<const std::byte*>(zero.bytes(0).data());
  const size_t allocated = zero.allocated_bytes();
  zero.PopFront(0);
  EXPECT_EQ(zero.size(), 20u);
  EXPECT_EQ(reinterpret_cast<const std::byte*>(zero.bytes(0).data()), before);
  EXPECT_EQ(zero.allocated_bytes(), allocated);
  ClosedChunks empty;
  empty.PopFront(0);
  EXPECT_TRUE(empty.empty());

  // k = 1, a few, all: exact-size (5 chunks) and grown past kExactChunks (30 chunks).
  for (size_t n : {size_t{5}, size_t{30}}) {
    for (size_t k : {size_t{1}, size_t{3}, n - 1, n}) {
      ClosedChunks at_once, one_by_one;
      filled(at_once, n);
      filled(one_by_one, n);
      at_once.PopFront(k);
      for (size_t i = 0; i < k; ++i) one_by_one.PopFront();
      SCOPED_TRACE(testing::Message() << "n=" << n << " k=" << k);
      expect_same(at_once, one_by_one);
      EXPECT_EQ(at_once.empty(), k == n);
      if (k < n) {
        EXPECT_EQ(Bytes(at_once.bytes(0)), Bytes(chunks[k].bytes()));
        // Dropping leaves no spare room for bytes (header slots stay reserved past 8).
        if (n - k <= ClosedChunks::kExactChunks) {
          EXPECT_EQ(at_once.allocated_bytes(), ExactBytes(at_once, 0));
        }
      } else {
        EXPECT_EQ(at_once.allocated_bytes(), 0u);
      }
    }
  }

  // After growth, then a drop, growth goes on in place from what is left.
  ClosedChunks cs;
  filled(cs, 30);
  cs.PopFront(25);
  ASSERT_EQ(cs.size(), 5u);
  EXPECT_EQ(cs.allocated_bytes(), ExactBytes(cs, 0));
  filled(cs, 12);
  ASSERT_EQ(cs.size(), 17u);
  EXPECT_EQ(Bytes(cs.bytes(4)), Bytes(chunks[29].bytes()));
  EXPECT_EQ(Bytes(cs.bytes(16)), Bytes(chunks[11].bytes()));
  cs.PopFront(cs.size());
  EXPECT_TRUE(cs.empty());
  EXPECT_EQ(cs.num_samples(), 0u);
}

}  // namespace
}  // namespace vigil::tsdb
