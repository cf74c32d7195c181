#include "lib/tsdb/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>
#include <vector>

namespace vigil::tsdb {
namespace {

struct Sample {
  int64_t t;
  uint64_t v_bits;
  bool operator==(const Sample&) const = default;
};

std::vector<Sample> DecodeAll(std::span<const uint8_t> bytes, bool* corrupt = nullptr) {
  std::vector<Sample> out;
  XorIterator it(bytes);
  while (it.Next()) out.push_back({it.t(), it.v_bits()});
  if (corrupt != nullptr) *corrupt = it.corrupt();
  return out;
}

void ExpectRoundTrip(const std::vector<Sample>& in) {
  XorChunk c;
  for (const Sample& s : in) ASSERT_TRUE(c.Append(s.t, std::bit_cast<double>(s.v_bits)).ok());
  EXPECT_EQ(c.num_samples(), in.size());
  bool corrupt = true;
  EXPECT_EQ(DecodeAll(c.bytes(), &corrupt), in);
  EXPECT_FALSE(corrupt);
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

TEST(XorChunkTest, BytesAreExactlyPrometheus) {
  // Worked by hand from tsdb/chunkenc/xor.go: count, varint(1000), 1.0's bits,
  // uvarint(1000), '0' (same value), '0' (dod 0), '11' 00001 001011 + 11 bits of 0x7ff.
  XorChunk c;
  ASSERT_TRUE(c.Append(1000, 1.0).ok());
  ASSERT_TRUE(c.Append(2000, 1.0).ok());
  ASSERT_TRUE(c.Append(3000, 2.0).ok());
  std::vector<uint8_t> want = {0x00, 0x03, 0xD0, 0x0F, 0x3F, 0xF0, 0,    0,    0,
                               0,    0,    0,    0xE8, 0x07, 0x30, 0x97, 0xFF, 0xC0};
  EXPECT_EQ(std::vector<uint8_t>(c.bytes().begin(), c.bytes().end()), want);
}

TEST(XorChunkTest, EmptyAndSingleSample) {
  XorChunk c;
  EXPECT_TRUE(DecodeAll(c.bytes()).empty());
  ExpectRoundTrip({{-5, Bits(3.5)}});
  ExpectRoundTrip({{std::numeric_limits<int64_t>::min(), Bits(-0.0)}});
}

TEST(XorChunkTest, SpecialValuesKeepTheirBits) {
  const uint64_t kStaleNaN = 0x7ff0000000000002;
  std::vector<uint64_t> values = {Bits(0.0),
                                  Bits(-0.0),
                                  kStaleNaN,
                                  Bits(std::numeric_limits<double>::quiet_NaN()),
                                  0xfff8000000000001,  // negative NaN with a payload
                                  0x7ff0000000000001,  // signalling NaN
                                  kStaleNaN,
                                  Bits(std::numeric_limits<double>::infinity()),
                                  Bits(-std::numeric_limits<double>::infinity()),
                                  Bits(std::numeric_limits<double>::denorm_min()),
                                  Bits(std::numeric_limits<double>::max()),
                                  Bits(-std::numeric_limits<double>::lowest()),
                                  0xffffffffffffffff,
                                  0,
                                  0x8000000000000001};
  std::vector<Sample> in;
  for (size_t i = 0; i < values.size(); ++i) in.push_back({int64_t(i) * 15000, values[i]});
  ExpectRoundTrip(in);
}

TEST(XorChunkTest, DeltaOfDeltaBucketEdges) {
  // Each dod on either side of Prometheus's asymmetric bucket limits.
  std::vector<int64_t> dods = {0,      1,      -1,      8191,    8192,    8193,      -8191,
                               -8192,  65535,  65536,   65537,   -65535,  -65536,    524287,
                               524288, 524289, -524287, -524288, 1 << 30, -(1 << 30)};
  for (int64_t dod : dods) {
    constexpr int64_t kDelta = int64_t{1} << 31;
    std::vector<Sample> in = {{0, Bits(1)},
                              {kDelta, Bits(2)},
                              {2 * kDelta + dod, Bits(3)},
                              {3 * kDelta + 2 * dod, Bits(3)}};
    SCOPED_TRACE(dod);
    ExpectRoundTrip(in);
  }
}

TEST(XorChunkTest, EqualDeltasHugeGapsAndEqualTimestamps) {
  std::vector<Sample> in;
  for (int i = 0; i < 200; ++i) in.push_back({1'700'000'000'000 + i * 1000, Bits(i / 7)});
  ExpectRoundTrip(in);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  ExpectRoundTrip({{kMin, Bits(1)}, {0, Bits(2)}, {kMax, Bits(3)}});
  ExpectRoundTrip({{kMin, Bits(1)}, {kMax, Bits(2)}, {kMax, Bits(3)}});
  ExpectRoundTrip({{5, Bits(1)}, {5, Bits(2)}, {5, Bits(3)}});  // encodable, as in Prometheus
}

TEST(XorChunkTest, RejectsNegativeDeltasAndOverflow) {
  XorChunk c;
  ASSERT_TRUE(c.Append(1000, 1).ok());
  EXPECT_EQ(c.Append(999, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.num_samples(), 1u);
  for (int i = 1; i < kXorMaxSamples; ++i) ASSERT_TRUE(c.Append(1000 + i, i).ok());
  EXPECT_EQ(c.Append(1'000'000, 1).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(DecodeAll(c.bytes()).size(), kXorMaxSamples);
}

TEST(XorChunkTest, RandomRoundTrip) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<Sample> in;
    int64_t t = static_cast<int64_t>(rng()) >> (rng() % 64);
    uint64_t v = rng();
    int n = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0:
          break;  // same value
        case 1:
          v = Bits(std::bit_cast<double>(v) + 1);
          break;  // counter-like
        case 2:
          v ^= rng() >> (rng() % 64);
          break;  // a few low bits
        default:
          v = rng();
          break;
      }
      uint64_t gap = rng() % 3 == 0 ? rng() >> (rng() % 64) : 15000;
      if (static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - t) < gap) break;
      t += static_cast<int64_t>(gap);
      in.push_back({t, v});
    }
    ExpectRoundTrip(in);
  }
}

TEST(XorChunkTest, CursorResumesEvenAfterMoreAppends) {
  XorChunk c;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.Append(i * 1000 + (i % 3), i * 0.5).ok());
  XorIterator it(c.bytes());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(it.Next());
  XorIterator::Cursor at = it.cursor();
  for (int i = 50; i < 70; ++i) ASSERT_TRUE(c.Append(i * 1000, i * 0.5).ok());
  std::vector<Sample> all = DecodeAll(c.bytes());
  XorIterator resumed(c.bytes(), at);
  std::vector<Sample> rest;
  while (resumed.Next()) rest.push_back({resumed.t(), resumed.v_bits()});
  EXPECT_EQ(rest, std::vector<Sample>(all.begin() + 20, all.end()));
}

TEST(XorChunkTest, CorruptInputEndsIteration) {
  XorChunk c;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(c.Append(i * 1000, i * 1.5).ok());
  std::vector<uint8_t> b(c.bytes().begin(), c.bytes().end());
  for (size_t len = 0; len < b.size(); ++len) {
    bool corrupt = false;
    auto got = DecodeAll(std::span<const uint8_t>(b.data(), len), &corrupt);
    EXPECT_TRUE(corrupt) << len;
    EXPECT_LT(got.size(), 30u);
  }
  std::vector<uint8_t> garbage = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  bool corrupt = false;
  DecodeAll(garbage, &corrupt);
  EXPECT_TRUE(corrupt);
}

}  // namespace
}  // namespace vigil::tsdb
