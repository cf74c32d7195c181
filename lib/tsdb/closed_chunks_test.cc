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

}  // namespace
}  // namespace vigil::tsdb
