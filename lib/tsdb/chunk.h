#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "lib/clock/clock.h"
#include "lib/tsdb/bit_stream.h"

namespace vigil::tsdb {

// A chunk of samples: a 2-byte big-endian sample count, then the samples. Timestamps are
// always Prometheus's XOR chunk's (tsdb/chunkenc/xor.go): the first as a zig-zag varint,
// the second as a uvarint delta, every later one as a delta-of-delta ('0', or
// '10'/'110'/'1110' + 14/17/20 bits, or '1111' + 64 bits). Values come in two codings
// (ValueCoding), chosen per chunk; either gives back every value's exact bit pattern
// (every NaN payload, the staleness marker included, -0.0 and the infinities).
//
// - XOR, Prometheus's, byte for byte: the first value's 64 raw bits, then each XORed with
//   the previous one ('0' = unchanged; '10' + the meaningful bits inside the previous
//   leading/trailing-zero window; '11' + 5 bits leading zeros + 6 bits length + bits).
//   A counter that grows by irregular amounts costs 2-4 bytes a sample this way.
// - Decimal with scale k (0..kMaxDecimalScale): a value v that is exactly m / 10^k for an
//   integer |m| < 2^53 (a float64 division is correctly rounded, so that holds for every
//   value parsed from a decimal with at most k fraction digits, e.g. "1234.56" at k = 2,
//   and every integer at k = 0) is stored as m: the first as '0' + a zig-zag varint, the
//   second's step (its m minus the one before, or minus 0 when the first value was an
//   escape) as '0' + a zig-zag varint, every later step as its difference from the mean
//   of the steps before it (a moving average over about kStepMeanSamples), zig-zag
//   encoded (z) and Rice coded with a parameter r that adapts to the series' noise:
//   q = z >> r as q '1' bits and a '0', then the low r bits of z, when
//   q < kRiceMaxQuotient; otherwise the long form, '1' x kRiceMaxQuotient + '0'
//   + 6 bits of (z's width - 1) + z in its width. A long step is an outlier: it leaves the
//   mean alone, unless the step before it was long too (then the mean restarts at it).
//   Any other value is an escape: '1' + 64 raw bits for the first two samples, '1' x
//   (kRiceMaxQuotient + 1) + 64 raw bits later, leaving m, the mean and r as they were.
//   A counter that grows by the same step costs 1 bit a sample, one that grows by 0-199
//   at random about 8.6 (the entropy of such a step is 7.6). This is how VictoriaMetrics
//   stores values (decimal mantissas, delta-encoded), restricted to the values it gives
//   back exactly, with the residual coding of lossless audio (FLAC, Shorten): the mean of
//   recent steps predicts a counter's next step better than the last step does (by
//   ≈ 0.5 bit for request counts, whose increments are independent), and a Rice code
//   costs about half a bit over a value's width where a window of bits and its prefix
//   cost two (docs/PERFORMANCE.md, "Decimal steps Rice-coded").
inline constexpr size_t kChunkHeaderBytes = 2;
inline constexpr uint16_t kChunkMaxSamples = 0xffff;
inline constexpr int kMaxDecimalScale = 15;
// The decimal coding's steps: the mean's reach, and the longest Rice quotient.
inline constexpr int kStepMeanShift = 3;  // the mean moves by 1/8 of each step's distance
inline constexpr int kStepMeanSamples = 1 << kStepMeanShift;
inline constexpr int kRiceMaxQuotient = 12;
// The longest gap between two samples of one chunk (about 49.7 days): decoders keep the
// last gap in 32 bits (ChunkCursor, 40 bytes instead of 48). A series cuts its chunk
// before a longer one.
inline constexpr uint64_t kMaxChunkTimeDelta = 0xffffffff;

class ValueCoding {
 public:
  static constexpr ValueCoding Xor() { return ValueCoding(kXor); }
  // 0 <= scale <= kMaxDecimalScale.
  static constexpr ValueCoding Decimal(int scale) {
    return ValueCoding(static_cast<uint8_t>(scale));
  }

  bool is_xor() const { return v_ == kXor; }
  int scale() const { return v_; }  // valid when !is_xor()
  bool operator==(const ValueCoding&) const = default;

 private:
  static constexpr uint8_t kXor = 0xff;
  constexpr explicit ValueCoding(uint8_t v) : v_(v) {}
  uint8_t v_;
};

// The smallest scale at which the decimal coding holds `v` exactly, or -1 when none does
// (NaN, infinities, -0.0, |v| * 10^k >= 2^53, more fraction digits than the maximum).
int DecimalScaleOf(double v);

// An open chunk and its appender (Prometheus's XORChunk + xorAppender, and the decimal
// coding beside it).
class Chunk {
 public:
  explicit Chunk(ValueCoding coding = ValueCoding::Xor());

  // InvalidArgument when `t` is older than the last sample (a negative delta; an equal
  // timestamp is encodable and accepted: duplicate rejection is the head's business),
  // OutOfRange when it is more than kMaxChunkTimeDelta newer, ResourceExhausted when the
  // 16-bit sample count is full.
  absl::Status Append(TimestampMs t, double v);

  ValueCoding coding() const { return coding_; }
  // Kept beside the header's copy: readers ask for it once per series and evaluation, and
  // the header is in another cache line.
  uint16_t num_samples() const { return num_; }
  // Valid when num_samples() > 0.
  TimestampMs last_t() const { return t_; }
  // The encoded chunk, header included. Stays a valid prefix of later states.
  std::span<const uint8_t> bytes() const { return w_.bytes(); }
  size_t capacity_bytes() const { return w_.capacity(); }

  // The coding the series' next chunk should use, judged from this one's values: decimal
  // at the finest scale they needed when they all (or all but a few) had one, XOR
  // otherwise. Values are probed every kProbeEvery samples (and every escape), so a
  // judgement costs little on the append path.
  ValueCoding NextCoding() const;
  static constexpr uint16_t kProbeEvery = 16;

 private:
  void WriteXorValue(uint64_t v_bits);
  void WriteDecimalValue(double v, uint64_t v_bits);
  // Codes step `d` of the mantissa (sample 2 on) and moves the mean and the parameter.
  void WriteMantissaStep(int64_t d);
  void Probe(double v);

  // Every series has an open chunk: the one-byte fields take the writer's tail padding
  // (no_unique_address), so the chunk is 56 bytes and not 64.
  [[no_unique_address]] BitWriter w_;
  ValueCoding coding_;
  uint8_t leading_ = 0xff;  // XOR: 0xff until the first window
  uint8_t trailing_ = 0;    // XOR: the window's; decimal: 1 after a step in the long form
  TimestampMs t_ = 0;
  uint64_t t_delta_ = 0;
  // XOR: the last value's bits. Decimal: the last mantissa (escapes leave it) and the
  // mean of its steps times kStepMeanSamples (unsigned: the decoder's wraps on corrupt
  // input, and both must compute alike).
  uint64_t v_state_ = 0;
  uint64_t m_step_mean_ = 0;
  uint16_t num_ = 0;
  // Of the values probed (see NextCoding), how many had no decimal scale, and the finest
  // scale the others needed.
  uint16_t probed_ = 0;
  uint16_t unscaled_ = 0;
  uint8_t finest_scale_ = 0;
  // Decimal: the Rice parameter in quarters (r = rice_ / 4), so that it moves by less than
  // a bit per sample.
  uint8_t rice_ = 0;
};

// Where decoding stands after some samples: all the decoder carries between samples.
// Saved and handed back to resume without decoding the samples before it again.
struct ChunkCursor {
  uint32_t bit_pos = kChunkHeaderBytes * 8;
  uint32_t t_delta = 0;  // the last gap between timestamps (<= kMaxChunkTimeDelta)
  int64_t t = 0;
  // XOR: the last value's bits. Decimal: the last mantissa (an escape leaves it), as
  // unsigned to wrap on corrupt input.
  uint64_t v_state = 0;
  uint64_t m_step_mean = 0;  // decimal: the mean of the mantissa's steps x kStepMeanSamples
  uint16_t num_read = 0;
  uint8_t leading = 0;   // XOR: the window's leading zeros; decimal: the Rice parameter x 4
  uint8_t trailing = 0;  // XOR: the window's trailing zeros; decimal: 1 after a long step
  // 36 bytes of fields: ChunkPos keeps its chunk number in the 4 bytes of tail padding.
};

// Decodes a chunk (Prometheus's xorIterator). Never reads outside `chunk`: corrupt or
// truncated input ends the iteration with corrupt() set.
class ChunkIterator {
 public:
  using Cursor = ChunkCursor;

  ChunkIterator(std::span<const uint8_t> chunk, ValueCoding coding)
      : ChunkIterator(chunk, coding, Cursor{}) {}
  // Resumes at `at`, a cursor() of an iterator over this chunk or a prefix of it.
  ChunkIterator(std::span<const uint8_t> chunk, ValueCoding coding, const Cursor& at);

  // Advances to the next sample; false at the end or on corrupt input.
  bool Next();
  TimestampMs t() const { return c_.t; }
  double v() const;
  uint64_t v_bits() const { return v_bits_; }

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
  bool ReadXorValue();
  bool ReadDecimalValue();

  BitReader r_;
  Cursor c_;
  uint64_t v_bits_ = 0;  // the current value
  uint16_t total_ = 0;
  ValueCoding coding_;
  bool corrupt_ = false;
};

}  // namespace vigil::tsdb
