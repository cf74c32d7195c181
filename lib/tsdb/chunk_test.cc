#include "lib/tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace vigil::tsdb {
namespace {

struct Sample {
  int64_t t;
  uint64_t v_bits;
  bool operator==(const Sample&) const = default;
};

std::vector<Sample> DecodeAll(std::span<const uint8_t> bytes, ValueCoding coding,
                              bool* corrupt = nullptr) {
  std::vector<Sample> out;
  ChunkIterator it(bytes, coding);
  while (it.Next()) out.push_back({it.t(), it.v_bits()});
  if (corrupt != nullptr) *corrupt = it.corrupt();
  return out;
}

// Returns the encoded size.
size_t ExpectRoundTrip(const std::vector<Sample>& in, ValueCoding coding = ValueCoding::Xor()) {
  Chunk c(coding);
  for (const Sample& s : in) {
    EXPECT_TRUE(c.Append(s.t, std::bit_cast<double>(s.v_bits)).ok());
  }
  EXPECT_EQ(c.num_samples(), in.size());
  bool corrupt = true;
  EXPECT_EQ(DecodeAll(c.bytes(), coding, &corrupt), in);
  EXPECT_FALSE(corrupt);
  return c.bytes().size();
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Every test below that is not about XOR's exact bytes runs in both codings.
class ChunkTest : public ::testing::TestWithParam<ValueCoding> {};
INSTANTIATE_TEST_SUITE_P(Codings, ChunkTest,
                         ::testing::Values(ValueCoding::Xor(), ValueCoding::Decimal(0),
                                           ValueCoding::Decimal(2),
                                           ValueCoding::Decimal(kMaxDecimalScale)),
                         [](const auto& info) {
                           return info.param.is_xor()
                                      ? std::string("Xor")
                                      : "Decimal" + std::to_string(info.param.scale());
                         });

TEST(ChunkBufferTest, Takes24BytesThenGrowsByHalfInMallocBlocks) {
  Chunk c(ValueCoding::Xor());
  EXPECT_EQ(c.capacity_bytes(), 24u);  // malloc's smallest block, header included
  std::mt19937_64 rng(7);
  std::vector<Sample> in;
  size_t previous_cap = 24, reallocations = 0;
  for (int i = 0; i < 2000; ++i) {
    in.push_back({int64_t{i} * 1000 + static_cast<int64_t>(rng() % 5), rng()});
    ASSERT_TRUE(c.Append(in.back().t, std::bit_cast<double>(in.back().v_bits)).ok());
    const size_t size = c.bytes().size(), cap = c.capacity_bytes();
    ASSERT_GE(cap, size);
    if (size > 24) {
      // What a glibc block of 1.5 or 2 times a power of two holds, and at most about
      // 1.5 times the size.
      const size_t block = cap + 8;
      ASSERT_TRUE(std::has_single_bit(block) || std::has_single_bit(block / 3 * 2)) << cap;
      ASSERT_EQ(block % 16, 0u) << cap;
      ASSERT_LE(block, (size + 8) * 3 / 2 + 16) << cap << " for " << size;
      if (cap != previous_cap) ++reallocations;
    } else {
      ASSERT_EQ(cap, 24u);
    }
    previous_cap = cap;
  }
  // Geometric: ~20 KB of random floats in a handful of steps (24 -> 40 -> 56 -> 88 -> ...).
  EXPECT_LE(reallocations, 20u);
  // Growing moved the bytes but kept them.
  EXPECT_EQ(DecodeAll(c.bytes(), ValueCoding::Xor()), in);
  Chunk moved = std::move(c);
  EXPECT_EQ(DecodeAll(moved.bytes(), ValueCoding::Xor()), in);
}

TEST(XorChunkTest, BytesAreExactlyPrometheus) {
  // Worked by hand from tsdb/chunkenc/xor.go: count, varint(1000), 1.0's bits,
  // uvarint(1000), '0' (same value), '0' (dod 0), '11' 00001 001011 + 11 bits of 0x7ff.
  Chunk c;
  ASSERT_TRUE(c.Append(1000, 1.0).ok());
  ASSERT_TRUE(c.Append(2000, 1.0).ok());
  ASSERT_TRUE(c.Append(3000, 2.0).ok());
  std::vector<uint8_t> want = {0x00, 0x03, 0xD0, 0x0F, 0x3F, 0xF0, 0,    0,    0,
                               0,    0,    0,    0xE8, 0x07, 0x30, 0x97, 0xFF, 0xC0};
  EXPECT_EQ(std::vector<uint8_t>(c.bytes().begin(), c.bytes().end()), want);
}

TEST_P(ChunkTest, EmptyAndSingleSample) {
  Chunk c(GetParam());
  EXPECT_TRUE(DecodeAll(c.bytes(), GetParam()).empty());
  ExpectRoundTrip({{-5, Bits(3.5)}}, GetParam());
  ExpectRoundTrip({{std::numeric_limits<int64_t>::min(), Bits(-0.0)}}, GetParam());
  ExpectRoundTrip({{0, Bits(12)}}, GetParam());
}

TEST_P(ChunkTest, SpecialValuesKeepTheirBits) {
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
  ExpectRoundTrip(in, GetParam());
}

TEST_P(ChunkTest, DeltaOfDeltaBucketEdges) {
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
    ExpectRoundTrip(in, GetParam());
  }
}

TEST_P(ChunkTest, EqualDeltasHugeGapsAndEqualTimestamps) {
  std::vector<Sample> in;
  for (int i = 0; i < 200; ++i) in.push_back({1'700'000'000'000 + i * 1000, Bits(i / 7)});
  ExpectRoundTrip(in, GetParam());
  // The longest gaps a chunk holds, at both ends of time.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kGap = static_cast<int64_t>(kMaxChunkTimeDelta);
  ExpectRoundTrip({{kMin, Bits(1)}, {kMin + kGap, Bits(2)}, {kMin + kGap + 1, Bits(3)}},
                  GetParam());
  ExpectRoundTrip({{kMax - 2 * kGap, Bits(1)}, {kMax - kGap, Bits(2)}, {kMax, Bits(3)}},
                  GetParam());
  // Encodable, as in Prometheus.
  ExpectRoundTrip({{5, Bits(1)}, {5, Bits(2)}, {5, Bits(3)}}, GetParam());
}

TEST_P(ChunkTest, RefusesAGapLongerThanAChunkHolds) {
  Chunk c(GetParam());
  ASSERT_TRUE(c.Append(1000, 1).ok());
  ASSERT_TRUE(c.Append(1000 + static_cast<int64_t>(kMaxChunkTimeDelta), 2).ok());
  EXPECT_EQ(c.Append(2000 + 2 * static_cast<int64_t>(kMaxChunkTimeDelta), 3).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(c.num_samples(), 2u);
  EXPECT_EQ(DecodeAll(c.bytes(), GetParam()).size(), 2u);
  ASSERT_TRUE(c.Append(1000 + 2 * static_cast<int64_t>(kMaxChunkTimeDelta), 3).ok());
  EXPECT_EQ(DecodeAll(c.bytes(), GetParam()).size(), 3u);
}

TEST(XorChunkTest, RejectsNegativeDeltasAndOverflow) {
  Chunk c;
  ASSERT_TRUE(c.Append(1000, 1).ok());
  EXPECT_EQ(c.Append(999, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.num_samples(), 1u);
  for (int i = 1; i < kChunkMaxSamples; ++i) ASSERT_TRUE(c.Append(1000 + i, i).ok());
  EXPECT_EQ(c.Append(1'000'000, 1).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(DecodeAll(c.bytes(), ValueCoding::Xor()).size(), kChunkMaxSamples);
}

TEST_P(ChunkTest, RandomRoundTrip) {
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
      // Any gap a chunk holds (RefusesAGapLongerThanAChunkHolds: the longer ones).
      uint64_t gap = rng() % 3 == 0 ? (rng() >> (rng() % 64)) % (kMaxChunkTimeDelta + 1) : 15000;
      if (static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - t) < gap) break;
      t += static_cast<int64_t>(gap);
      in.push_back({t, v});
    }
    ExpectRoundTrip(in, GetParam());
  }
}

TEST_P(ChunkTest, CursorResumesEvenAfterMoreAppends) {
  Chunk c(GetParam());
  // Halves, and every fifth value a third: decimal chunks escape some of them.
  auto value = [](int i) { return i % 5 == 0 ? i / 3.0 : i * 0.5; };
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.Append(i * 1000 + (i % 3), value(i)).ok());
  ChunkIterator it(c.bytes(), GetParam());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(it.Next());
  ChunkCursor at = it.cursor();
  for (int i = 50; i < 70; ++i) ASSERT_TRUE(c.Append(i * 1000, value(i)).ok());
  std::vector<Sample> all = DecodeAll(c.bytes(), GetParam());
  ASSERT_EQ(all.size(), 70u);
  EXPECT_EQ(all[46].v_bits, Bits(23.0));
  EXPECT_EQ(all[45 + 15].v_bits, Bits(20.0));
  ChunkIterator resumed(c.bytes(), GetParam(), at);
  std::vector<Sample> rest;
  while (resumed.Next()) rest.push_back({resumed.t(), resumed.v_bits()});
  EXPECT_EQ(rest, std::vector<Sample>(all.begin() + 20, all.end()));
}

TEST_P(ChunkTest, CorruptInputEndsIteration) {
  Chunk c(GetParam());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(c.Append(i * 1000, i * 1.5).ok());
  std::vector<uint8_t> b(c.bytes().begin(), c.bytes().end());
  for (size_t len = 0; len < b.size(); ++len) {
    bool corrupt = false;
    auto got = DecodeAll(std::span<const uint8_t>(b.data(), len), GetParam(), &corrupt);
    EXPECT_TRUE(corrupt) << len;
    EXPECT_LT(got.size(), 30u);
  }
  std::vector<uint8_t> garbage = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  bool corrupt = false;
  DecodeAll(garbage, GetParam(), &corrupt);
  EXPECT_TRUE(corrupt);
}

TEST(DecimalScaleTest, FindsTheFewestFractionDigitsThatGiveTheValueBack) {
  EXPECT_EQ(DecimalScaleOf(0.0), 0);
  EXPECT_EQ(DecimalScaleOf(12345.0), 0);
  EXPECT_EQ(DecimalScaleOf(-7.0), 0);
  EXPECT_EQ(DecimalScaleOf(9007199254740991.0), 0);  // 2^53 - 1
  EXPECT_EQ(DecimalScaleOf(0.1), 1);
  EXPECT_EQ(DecimalScaleOf(12345.67), 2);
  EXPECT_EQ(DecimalScaleOf(-0.005), 3);
  EXPECT_EQ(DecimalScaleOf(1e-15), 15);
  EXPECT_EQ(DecimalScaleOf(1e-16), -1);
  EXPECT_EQ(DecimalScaleOf(0.1 + 0.2), -1);  // 0.30000000000000004
  EXPECT_EQ(DecimalScaleOf(1.0 / 3), -1);
  EXPECT_EQ(DecimalScaleOf(9007199254740992.0), -1);  // 2^53: m would not be exact
  EXPECT_EQ(DecimalScaleOf(-0.0), -1);                // comes back as +0
  EXPECT_EQ(DecimalScaleOf(std::numeric_limits<double>::infinity()), -1);
  EXPECT_EQ(DecimalScaleOf(std::numeric_limits<double>::quiet_NaN()), -1);
}

TEST(DecimalChunkTest, StepResidualEdges) {
  // A steady step, then one step off by `off` (the Rice parameter is 0 by then: a residual
  // whose zig-zag is 11 is the longest quotient, 12 the shortest long form), then steady
  // again, at scale 0 and 3; offsets on either side of powers of two up to 2^52 too.
  std::vector<int64_t> offs = {0, 1, -1, 5, 6, -6, -7};
  for (int bits : {6, 12, 19, 30, 52}) {
    const int64_t p = int64_t{1} << bits;
    for (int64_t off : {p - 1, p, p + 1, 1 - p, -p}) offs.push_back(off);
  }
  for (int scale : {0, 3}) {
    for (int64_t off : offs) {
      std::vector<Sample> in;
      int64_t m = 1000;
      for (int i = 0; i < 12; ++i) {
        double v = static_cast<double>(m);
        for (int k = 0; k < scale; ++k) v /= 10;  // not exact: the escapes run too
        in.push_back({i * 1000, Bits(scale == 0 ? static_cast<double>(m) : v)});
        m += 5 + (i == 3 ? off : 0);
      }
      SCOPED_TRACE(testing::Message() << "scale " << scale << " off " << off);
      ExpectRoundTrip(in, ValueCoding::Decimal(scale));
    }
  }
}

TEST(DecimalChunkTest, ExtremeMantissasRoundTrip) {
  constexpr double kMax = 9007199254740991.0;  // 2^53 - 1
  ExpectRoundTrip({{0, Bits(kMax)},
                   {1, Bits(-kMax)},
                   {2, Bits(kMax)},
                   {3, Bits(0)},
                   {4, Bits(-kMax)},
                   {5, Bits(-kMax)}},
                  ValueCoding::Decimal(0));
  ExpectRoundTrip(
      {{0, Bits(0.000000000000001)}, {1, Bits(9.007199254740991)}, {2, Bits(-9.007199254740991)}},
      ValueCoding::Decimal(15));
}

TEST(DecimalChunkTest, EscapesKeepTheStepStateForTheValuesAfterThem) {
  const uint64_t kStaleNaN = 0x7ff0000000000002;
  std::vector<Sample> in;
  for (int i = 0; i < 120; ++i) {
    uint64_t v = Bits(1000.0 + 17 * i);
    if (i % 10 == 3) v = kStaleNaN;
    if (i % 10 == 7) v = Bits(0.1 + 0.2);
    if (i == 50) v = Bits(-0.0);
    in.push_back({i * 1000, v});
  }
  ExpectRoundTrip(in, ValueCoding::Decimal(1));
  // The first value an escape.
  ExpectRoundTrip({{0, kStaleNaN}, {1000, Bits(5.0)}, {2000, Bits(6.0)}}, ValueCoding::Decimal(0));
}

// What the decimal coding is for: a counter growing by irregular amounts and a gauge with
// two fraction digits, both as Prometheus would scrape them, at 1 s.
std::vector<Sample> NoisyCounter(int n, bool two_decimals) {
  std::mt19937_64 rng(7);
  std::vector<Sample> out;
  int64_t m = 123456789;
  for (int i = 0; i < n; ++i) {
    m += static_cast<int64_t>(rng() % 200);
    double v = two_decimals ? static_cast<double>(m) / 100 : static_cast<double>(m);
    out.push_back({1'700'000'000'000 + i * 1000, Bits(v)});
  }
  return out;
}

TEST(DecimalChunkTest, IntegerAndDecimalSeriesTakeFewerBytesThanXor) {
  for (bool two_decimals : {false, true}) {
    std::vector<Sample> in = NoisyCounter(120, two_decimals);
    size_t xor_bytes = ExpectRoundTrip(in, ValueCoding::Xor());
    size_t decimal_bytes = ExpectRoundTrip(in, ValueCoding::Decimal(two_decimals ? 2 : 0));
    SCOPED_TRACE(two_decimals);
    // Steps of 0..199 around their mean: residuals within +-100, a zig-zag under 2^8,
    // Rice coded at 7 bits (+ 1.5 on average for the quotient), one bit of time: 9.5 bits
    // a sample, plus the first sample and the parameter's first steps up.
    EXPECT_LE(decimal_bytes, 120 * 10 / 8 + 16);
    EXPECT_LT(decimal_bytes, xor_bytes);
  }
}

TEST(DecimalChunkTest, ASteadyCounterCostsABitOfValueASample) {
  std::vector<Sample> in;
  for (int i = 0; i < 120; ++i) in.push_back({i * 1000, Bits(1e6 + 17.0 * i)});
  // One bit of time and one of value a sample, the first two samples' varints besides.
  EXPECT_LE(ExpectRoundTrip(in, ValueCoding::Decimal(0)), 120 * 2 / 8 + 12u);
}

TEST(DecimalChunkTest, ACounterResetCostsAFewStepsNotTheRestOfTheChunk) {
  std::vector<Sample> in = NoisyCounter(120, false);
  const size_t plain = ExpectRoundTrip(in, ValueCoding::Decimal(0));
  // The process restarts at sample 60: the counter starts again from 0.
  const double at_reset = std::bit_cast<double>(in[59].v_bits);
  for (int i = 60; i < 120; ++i) {
    in[i].v_bits = Bits(std::bit_cast<double>(in[i].v_bits) - at_reset + 50);
  }
  const size_t reset = ExpectRoundTrip(in, ValueCoding::Decimal(0));
  // The reset's step is an outlier (a long form of ~50 bits) that leaves the mean of the
  // steps alone; the parameter it widened by 2 bits narrows again within a few steps.
  EXPECT_LE(reset, plain + 12) << plain;
  // A sawtooth gauge (a queue filled by 7 a sample and emptied every 14th) pays about
  // that once per tooth.
  std::vector<Sample> saw;
  for (int i = 0; i < 120; ++i) saw.push_back({i * 1000, Bits(static_cast<double>(i * 7 % 98))});
  EXPECT_LE(ExpectRoundTrip(saw, ValueCoding::Decimal(0)), 120 * 2 / 8 + 9 * 5u) << "9 teeth";
}

TEST(DecimalChunkTest, TwoLongStepsInARowRestartTheMean) {
  // A counter whose rate jumps from 100 to 100,000 a sample: the first long step is taken
  // for an outlier, the second restarts the mean at the new rate, and the steps after it
  // are short again: 51 B (kept at the old mean until the parameter has widened enough
  // for the new steps: 159 B).
  std::vector<Sample> in;
  int64_t m = 0;
  for (int i = 0; i < 120; ++i) {
    in.push_back({i * 1000, Bits(static_cast<double>(m))});
    m += i < 60 ? 100 : 100'000;
  }
  EXPECT_LE(ExpectRoundTrip(in, ValueCoding::Decimal(0)), 120 * 2 / 8 + 80u);
}

TEST(DecimalChunkTest, AnEscapeCostsItsOwnBitsAndNothingAfterIt) {
  // Staleness markers (escapes) inside a noisy counter: each costs the 13-bit escape
  // prefix and its 64 bits, and the steps after it are coded as if it were not there
  // (an escape that reset the mean or the parameter would cost its neighbours too).
  std::vector<Sample> in = NoisyCounter(120, false);
  const size_t plain = ExpectRoundTrip(in, ValueCoding::Decimal(0));
  std::vector<Sample> stale;
  for (size_t i = 0; i < in.size(); ++i) {
    stale.push_back(in[i]);
    if (i % 20 == 10) stale.push_back({in[i].t + 500, 0x7ff0000000000002});
  }
  // 6 markers of 77 bits of value, and of time one bit each and two delta-of-deltas of
  // 16 bits around each (an escape that reset the mean and the parameter: 272 B).
  EXPECT_LE(ExpectRoundTrip(stale, ValueCoding::Decimal(0)), plain + (6 * (77 + 33) + 7) / 8);
}

TEST(DecimalChunkTest, NextCodingFollowsTheValues) {
  auto next = [](const std::vector<Sample>& in, ValueCoding coding) {
    Chunk c(coding);
    for (const Sample& s : in) EXPECT_TRUE(c.Append(s.t, std::bit_cast<double>(s.v_bits)).ok());
    return c.NextCoding();
  };
  EXPECT_EQ(next(NoisyCounter(120, false), ValueCoding::Xor()), ValueCoding::Decimal(0));
  EXPECT_EQ(next(NoisyCounter(120, true), ValueCoding::Xor()), ValueCoding::Decimal(2));
  // A decimal chunk learns a finer scale from its escapes and a coarser one from probes.
  EXPECT_EQ(next(NoisyCounter(120, true), ValueCoding::Decimal(0)), ValueCoding::Decimal(2));
  EXPECT_EQ(next(NoisyCounter(120, false), ValueCoding::Decimal(3)), ValueCoding::Decimal(0));
  // An integer gauge with a stray half now and then, never where a probe looks: the
  // chunk's values still need one digit, so the next chunk keeps it.
  std::vector<Sample> halves = NoisyCounter(120, false);
  for (int i = 7; i < 120; i += 20) {
    halves[i].v_bits = Bits(std::bit_cast<double>(halves[i].v_bits) + 0.5);
  }
  EXPECT_EQ(next(halves, ValueCoding::Decimal(1)), ValueCoding::Decimal(1));
  std::vector<Sample> floats;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 120; ++i)
    floats.push_back({i * 1000, Bits(std::ldexp(double(rng() >> 11), -40))});
  EXPECT_TRUE(next(floats, ValueCoding::Xor()).is_xor());
  EXPECT_TRUE(next(floats, ValueCoding::Decimal(0)).is_xor());
  // A staleness marker and a few stray values do not give the coding up; many do.
  std::vector<Sample> mostly = NoisyCounter(120, false);
  mostly[40].v_bits = 0x7ff0000000000002;
  mostly[41].v_bits = Bits(0.1 + 0.2);
  EXPECT_EQ(next(mostly, ValueCoding::Decimal(0)), ValueCoding::Decimal(0));
  for (int i = 0; i < 120; i += 4) mostly[i].v_bits = Bits(1.0 / 3);
  EXPECT_TRUE(next(mostly, ValueCoding::Decimal(0)).is_xor());
}

TEST(DecimalChunkTest, RandomDecimalWalksRoundTrip) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    int scale = static_cast<int>(rng() % (kMaxDecimalScale + 1));
    int64_t m = static_cast<int64_t>(rng() >> 12) - (int64_t{1} << 51);
    int64_t step = static_cast<int64_t>(rng() % 1000);
    std::vector<Sample> in;
    int n = 1 + static_cast<int>(rng() % 240);
    for (int i = 0; i < n; ++i) {
      switch (rng() % 5) {
        case 0:
          break;  // the same step
        case 1:
          step = static_cast<int64_t>(rng() % (1 << 20)) - (1 << 19);
          break;
        case 2:
          step = static_cast<int64_t>(rng() >> 12) - (int64_t{1} << 51);
          break;
        default:
          step += static_cast<int64_t>(rng() % 128) - 64;
          break;
      }
      int64_t next = m + step;
      if (next > (int64_t{1} << 52) || next < -(int64_t{1} << 52)) next = m - step;
      m = next;
      double v = static_cast<double>(m);
      for (int k = 0; k < scale; ++k) v /= 10;  // sometimes not m / 10^scale: an escape
      in.push_back({i * 1000, Bits(v)});
    }
    SCOPED_TRACE(round);
    ExpectRoundTrip(in, ValueCoding::Decimal(scale));
  }
}

}  // namespace
}  // namespace vigil::tsdb
