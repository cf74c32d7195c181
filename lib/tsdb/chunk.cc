#include "lib/tsdb/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace vigil::tsdb {
namespace {

// Zig-zag: 0, -1, 1, -2... as 0, 1, 2, 3... (Go's varints, and the decimal coding's
// residuals). On uint64_t: the decoder's arithmetic wraps on corrupt input.
uint64_t ZigZag(uint64_t x) {
  return x << 1 ^ static_cast<uint64_t>(static_cast<int64_t>(x) >> 63);
}
uint64_t UnZigZag(uint64_t z) { return z >> 1 ^ (0 - (z & 1)); }

// Go's binary.PutUvarint / PutVarint (zig-zag).
void WriteUvarint(BitWriter& w, uint64_t x) {
  while (x >= 0x80) {
    w.WriteByte(static_cast<uint8_t>(x) | 0x80);
    x >>= 7;
  }
  w.WriteByte(static_cast<uint8_t>(x));
}
void WriteVarint(BitWriter& w, int64_t x) { WriteUvarint(w, ZigZag(static_cast<uint64_t>(x))); }

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
  *out = static_cast<int64_t>(UnZigZag(ux));
  return true;
}

// Whether `x` fits the `nbits` delta-of-delta bucket: Prometheus's bitRange, whose range
// is deliberately asymmetric ([-(2^(n-1)-1), 2^(n-1)]).
bool BitRange(int64_t x, int nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= x && x <= (int64_t{1} << (nbits - 1));
}

// Reads an `nbits` delta-of-delta written by WriteBucket (negative values come back as
// large unsigned ones: docs/bstream.md in Prometheus).
bool ReadBucket(BitReader& r, int nbits, uint64_t* dod) {
  *dod = 0;
  if (nbits == 0) return true;
  if (!r.ReadBits(nbits, dod)) return false;
  if (nbits < 64 && *dod > (uint64_t{1} << (nbits - 1))) *dod -= uint64_t{1} << nbits;
  return true;
}

// Writes `dod` in the first of `buckets` it fits: bucket i is i '1' bits, a '0' unless i
// is `max_ones`, then buckets[i] bits of `dod` (bucket 0: '0' alone, for 0). The last
// bucket (64 bits) takes anything. BitReader::ReadOnes(max_ones) reads the prefix back.
template <size_t N>
void WriteBucket(BitWriter& w, int64_t dod, const int (&buckets)[N], int max_ones) {
  for (size_t i = 0; i < N; ++i) {
    if (i == N - 1 || (i == 0 ? dod == 0 : BitRange(dod, buckets[i]))) {
      int ones = static_cast<int>(i);
      bool zero = ones < max_ones;
      w.WriteBits(((uint64_t{1} << ones) - 1) << (zero ? 1 : 0), ones + (zero ? 1 : 0));
      w.WriteBits(static_cast<uint64_t>(dod), buckets[i]);
      return;
    }
  }
}

// Timestamps: '0', '10' + 14, '110' + 17, '1110' + 20, '1111' + 64 (Prometheus's).
constexpr int kTimeBucketBits[] = {0, 14, 17, 20, 64};
constexpr int kTimeMaxOnes = 4;

constexpr double kPow10[kMaxDecimalScale + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr double kTwoTo53 = 9007199254740992.0;

double FromDecimal(int64_t m, int scale) { return static_cast<double>(m) / kPow10[scale]; }

// The mantissa m with FromDecimal(m, scale) == v bit for bit, if there is one.
bool ToDecimal(double v, int scale, int64_t* m) {
  double x = v * kPow10[scale];
  if (!(std::fabs(x) < kTwoTo53)) return false;  // NaN too
  int64_t candidate = std::llround(x);
  if (std::bit_cast<uint64_t>(FromDecimal(candidate, scale)) != std::bit_cast<uint64_t>(v)) {
    return false;
  }
  *m = candidate;
  return true;
}

// The decimal coding's steps (chunk.h), shared by the appender and the iterator so that
// both move their state alike. Unsigned throughout: corrupt input may overflow the
// decoder's; the signed shifts are arithmetic (C++20), so the mean rounds the same for
// negative steps.
// The step the mean of the earlier ones predicts (the mean rounded to nearest).
uint64_t PredictedStep(uint64_t mean) {
  return static_cast<uint64_t>(static_cast<int64_t>(mean + kStepMeanSamples / 2) >> kStepMeanShift);
}
// The Rice parameter's bound in quarters: 56 bits hold any residual's zig-zag but the
// largest (below 2^56 * kRiceMaxQuotient they all have a quotient under the limit).
constexpr int kMaxRiceQuarters = 56 * 4;
// After step `d` coded with quotient `q` (kRiceMaxQuotient: the long form). A zero
// quotient says the parameter may be a quarter bit too wide, a quotient q above one that
// it is too narrow (it widens by q/4 bits, at most 2), a long step that it is 2 bits too
// narrow. A long step is an outlier (a counter reset, a sawtooth gauge's wrap) and leaves
// the mean alone, unless the step before it was long too (`last_long`): then the series
// has a new rate, and the mean restarts at `d`.
void AfterStep(uint64_t q, uint64_t d, uint8_t* rice, uint64_t* mean, uint8_t* last_long) {
  if (q >= static_cast<uint64_t>(kRiceMaxQuotient)) {
    *rice = static_cast<uint8_t>(std::min(kMaxRiceQuarters, *rice + 8));
    if (*last_long) *mean = d << kStepMeanShift;
    *last_long = 1;
    return;
  }
  *last_long = 0;
  if (q == 0) {
    if (*rice > 0) --*rice;
  } else if (q > 1) {
    *rice = static_cast<uint8_t>(
        std::min<uint64_t>(kMaxRiceQuarters, *rice + std::min<uint64_t>(q, 8)));
  }
  *mean += d - static_cast<uint64_t>(static_cast<int64_t>(*mean) >> kStepMeanShift);
}

}  // namespace

int DecimalScaleOf(double v) {
  if (!(std::fabs(v) < kTwoTo53)) return -1;
  int64_t m;
  for (int k = 0; k <= kMaxDecimalScale; ++k) {
    if (ToDecimal(v, k, &m)) return k;
  }
  return -1;
}

#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(Chunk) == 56);
static_assert(sizeof(ChunkCursor) == 40);
#endif

Chunk::Chunk(ValueCoding coding) : w_(kChunkHeaderBytes), coding_(coding) {}

absl::Status Chunk::Append(TimestampMs t, double v) {
  uint16_t num = num_;
  if (num == kChunkMaxSamples) return absl::ResourceExhaustedError("chunk full");
  if (num > 0 && t < t_) return absl::InvalidArgumentError("out of order sample");
  // Unsigned: the gap between the two ends of int64 does not overflow.
  uint64_t t_delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
  if (num > 0 && t_delta > kMaxChunkTimeDelta) {
    return absl::OutOfRangeError("gap too long for one chunk");
  }
  uint64_t v_bits = std::bit_cast<uint64_t>(v);
  if (num == 0) {
    t_delta = 0;
    WriteVarint(w_, t);
  } else if (num == 1) {
    WriteUvarint(w_, t_delta);
  } else {
    WriteBucket(w_, static_cast<int64_t>(t_delta - t_delta_), kTimeBucketBits, kTimeMaxOnes);
  }
  if (coding_.is_xor()) {
    if (num == 0) {
      w_.WriteBits(v_bits, 64);
    } else {
      WriteXorValue(v_bits);
    }
    v_state_ = v_bits;
    if (num % kProbeEvery == 0) Probe(v);
  } else {
    WriteDecimalValue(v, v_bits);
  }
  t_ = t;
  t_delta_ = t_delta;
  num_ = ++num;
  w_.bytes()[0] = static_cast<uint8_t>(num >> 8);
  w_.bytes()[1] = static_cast<uint8_t>(num);
  return absl::OkStatus();
}

// Prometheus's xorAppender.writeVDelta.
void Chunk::WriteXorValue(uint64_t v_bits) {
  uint64_t delta = v_bits ^ v_state_;
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

void Chunk::WriteDecimalValue(double v, uint64_t v_bits) {
  int64_t m;
  if (!ToDecimal(v, coding_.scale(), &m)) {
    Probe(v);  // a finer scale to take next time, or none
    if (num_ <= 1) {
      w_.WriteBit(true);
    } else {
      w_.WriteBits((uint64_t{1} << (kRiceMaxQuotient + 1)) - 1, kRiceMaxQuotient + 1);
    }
    w_.WriteBits(v_bits, 64);
    return;
  }
  // The value has a scale; whether a coarser one would do is looked at now and then.
  if (num_ % kProbeEvery == 0) {
    Probe(v);
  } else {
    ++probed_;
    // A value that needs every digit of the scale keeps the next chunk at it even when no
    // probed value did (probes see one value in 16; the chunks would flip otherwise).
    if (m % 10 != 0) finest_scale_ = std::max(finest_scale_, static_cast<uint8_t>(coding_.scale()));
  }
  // |m| < 2^53, so the step (and the mean, and the residual) fit with room to spare.
  const uint64_t step = static_cast<uint64_t>(m) - v_state_;
  v_state_ = static_cast<uint64_t>(m);
  if (num_ <= 1) {
    w_.WriteBit(false);
    WriteVarint(w_, num_ == 0 ? m : static_cast<int64_t>(step));
    m_step_mean_ = num_ == 0 ? 0 : step << kStepMeanShift;
    rice_ = 0;
    trailing_ = 0;
    return;
  }
  WriteMantissaStep(static_cast<int64_t>(step));
}

void Chunk::WriteMantissaStep(int64_t d) {
  const uint64_t step = static_cast<uint64_t>(d);
  const uint64_t z = ZigZag(step - PredictedStep(m_step_mean_));
  const int r = rice_ >> 2;
  const uint64_t q = z >> r;
  if (q < static_cast<uint64_t>(kRiceMaxQuotient)) {
    w_.WriteBits(((uint64_t{1} << q) - 1) << 1, static_cast<int>(q) + 1);
    w_.WriteBits(z & ((uint64_t{1} << r) - 1), r);
  } else {
    const int width = std::bit_width(z);  // >= 1: z >= 2^r * kRiceMaxQuotient
    w_.WriteBits(((uint64_t{1} << kRiceMaxQuotient) - 1) << 1, kRiceMaxQuotient + 1);
    w_.WriteBits(static_cast<uint64_t>(width - 1), 6);
    w_.WriteBits(z, width);
  }
  AfterStep(q, step, &rice_, &m_step_mean_, &trailing_);
}

void Chunk::Probe(double v) {
  // A NaN (a staleness marker, most often) says nothing about the series' values.
  if (std::isnan(v)) return;
  ++probed_;
  int scale = DecimalScaleOf(v);
  if (scale < 0) {
    ++unscaled_;
  } else {
    finest_scale_ = std::max(finest_scale_, static_cast<uint8_t>(scale));
  }
}

ValueCoding Chunk::NextCoding() const {
  // An escape costs 64 bits more than a decimal value: a few stray values are cheaper
  // than giving the coding up.
  if (probed_ == 0 || unscaled_ * 8 > probed_) return ValueCoding::Xor();
  return ValueCoding::Decimal(finest_scale_);
}

ChunkIterator::ChunkIterator(std::span<const uint8_t> chunk, ValueCoding coding, const Cursor& at)
    : c_(at), coding_(coding) {
  if (chunk.size() < kChunkHeaderBytes || at.bit_pos < kChunkHeaderBytes * 8) {
    corrupt_ = true;
    return;
  }
  total_ = static_cast<uint16_t>(chunk[0] << 8 | chunk[1]);
  r_ = BitReader(chunk, at.bit_pos);
}

double ChunkIterator::v() const { return std::bit_cast<double>(v_bits_); }

bool ChunkIterator::Next() {
  if (corrupt_ || c_.num_read >= total_) return false;
  if (!ReadTimestamp() || !(coding_.is_xor() ? ReadXorValue() : ReadDecimalValue())) {
    corrupt_ = true;
    return false;
  }
  ++c_.num_read;
  return true;
}

bool ChunkIterator::ReadTimestamp() {
  if (c_.num_read == 0) return ReadVarint(r_, &c_.t);
  if (c_.num_read == 1) {
    uint64_t delta;
    if (!ReadUvarint(r_, &delta) || delta > kMaxChunkTimeDelta) return false;
    c_.t_delta = static_cast<uint32_t>(delta);
    c_.t = static_cast<int64_t>(static_cast<uint64_t>(c_.t) + c_.t_delta);
    return true;
  }
  int prefix;
  uint64_t dod;
  if (!r_.ReadOnes(kTimeMaxOnes, &prefix) || !ReadBucket(r_, kTimeBucketBits[prefix], &dod))
    return false;
  const uint64_t delta = c_.t_delta + dod;       // wraps below 0 on corrupt input
  if (delta > kMaxChunkTimeDelta) return false;  // no encoder writes this
  c_.t_delta = static_cast<uint32_t>(delta);
  c_.t = static_cast<int64_t>(static_cast<uint64_t>(c_.t) + c_.t_delta);
  return true;
}

// Prometheus's xorIterator.readValue.
bool ChunkIterator::ReadXorValue() {
  if (c_.num_read == 0) {
    if (!r_.ReadBits(64, &c_.v_state)) return false;
    v_bits_ = c_.v_state;
    return true;
  }
  bool changed;
  if (!r_.ReadBit(&changed)) return false;
  if (!changed) {
    v_bits_ = c_.v_state;
    return true;
  }
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
  c_.v_state ^= c_.trailing >= 64 ? 0 : bits << c_.trailing;
  v_bits_ = c_.v_state;
  return true;
}

bool ChunkIterator::ReadDecimalValue() {
  if (c_.num_read <= 1) {
    bool escape;
    if (!r_.ReadBit(&escape)) return false;
    if (escape) return r_.ReadBits(64, &v_bits_);
    int64_t x;
    if (!ReadVarint(r_, &x)) return false;
    const uint64_t ux = static_cast<uint64_t>(x);
    if (c_.num_read == 0) {
      c_.v_state = ux;
      c_.m_step_mean = 0;
    } else {
      c_.v_state += ux;
      c_.m_step_mean = ux << kStepMeanShift;
    }
    c_.leading = 0;
    c_.trailing = 0;
  } else {
    int q;
    if (!r_.ReadOnes(kRiceMaxQuotient + 1, &q)) return false;
    if (q > kRiceMaxQuotient) return r_.ReadBits(64, &v_bits_);  // an escape
    uint64_t z;
    if (q < kRiceMaxQuotient) {
      const int r = c_.leading >> 2;
      uint64_t low;
      if (r > 56 || !r_.ReadBits(r, &low)) return false;  // no encoder goes past 56
      z = static_cast<uint64_t>(q) << r | low;
    } else {
      uint64_t width;
      if (!r_.ReadBits(6, &width) || !r_.ReadBits(static_cast<int>(width) + 1, &z)) return false;
    }
    const uint64_t step = PredictedStep(c_.m_step_mean) + UnZigZag(z);
    c_.v_state += step;
    AfterStep(static_cast<uint64_t>(q), step, &c_.leading, &c_.m_step_mean, &c_.trailing);
  }
  v_bits_ = std::bit_cast<uint64_t>(FromDecimal(static_cast<int64_t>(c_.v_state), coding_.scale()));
  return true;
}

}  // namespace vigil::tsdb
