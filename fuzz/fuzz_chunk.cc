// The chunk codecs (lib/tsdb/chunk.h), XOR and decimal: the first byte picks the coding.
// Every input is used twice:
//  - as chunk bytes: decoding arbitrary bytes ends cleanly (no read outside the input), and
//    resuming from any cursor yields the same samples as decoding straight through;
//  - as a script of samples: whatever is appended decodes back bit for bit (every NaN
//    payload included), negative deltas and gaps over kMaxChunkTimeDelta are rejected,
//    and the encoding is deterministic.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "lib/tsdb/chunk.h"

namespace {

using vigil::tsdb::Chunk;
using vigil::tsdb::ChunkCursor;
using vigil::tsdb::ChunkIterator;
using vigil::tsdb::ValueCoding;

struct Sample {
  int64_t t;
  uint64_t v;
  bool operator==(const Sample&) const = default;
};

uint64_t Bits(double d) {
  uint64_t v;
  std::memcpy(&v, &d, sizeof v);
  return v;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

std::vector<Sample> Decode(std::span<const uint8_t> bytes, ValueCoding coding,
                           const ChunkCursor& from = {}) {
  std::vector<Sample> out;
  ChunkIterator it(bytes, coding, from);
  while (it.Next()) out.push_back({it.t(), it.v_bits()});
  return out;
}

void DecodeArbitrary(std::span<const uint8_t> bytes, ValueCoding coding) {
  std::vector<Sample> all = Decode(bytes, coding);
  ChunkIterator it(bytes, coding);
  for (size_t i = 0; it.Next(); ++i) {
    if (i % 7 != 0) continue;
    std::vector<Sample> rest = Decode(bytes, coding, it.cursor());
    Check(rest.size() == all.size() - i - 1);
    Check(std::equal(rest.begin(), rest.end(), all.begin() + static_cast<ptrdiff_t>(i) + 1));
  }
}

// Reads records of [selector][8 bytes][8 bytes] (short tails padded with zeros).
class Script {
 public:
  explicit Script(std::span<const uint8_t> in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  uint8_t Byte() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  uint64_t Word() {
    uint64_t w = 0;
    for (int i = 0; i < 8; ++i) w = w << 8 | Byte();
    return w;
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

void RoundTrip(std::span<const uint8_t> in, ValueCoding coding) {
  Script s(in);
  Chunk c(coding);
  std::vector<Sample> want;
  int64_t t = 0;
  uint64_t v = 0;
  while (!s.done() && want.size() < vigil::tsdb::kChunkMaxSamples) {
    uint8_t sel = s.Byte();
    uint64_t tw = s.Word(), vw = s.Word();
    // Unsigned sums wrap instead of overflowing; a wrapped time is just an older one.
    uint64_t ut = static_cast<uint64_t>(t);
    int64_t next_t;
    switch (sel & 3) {
      case 0:
        next_t = static_cast<int64_t>(ut + 15000);
        break;  // steady
      case 1:
        next_t = static_cast<int64_t>(ut + (tw & 0xfffff));
        break;  // jitter
      case 2:
        next_t = static_cast<int64_t>(ut + tw);
        break;  // any gap
      default:
        next_t = static_cast<int64_t>(tw);
        break;  // anywhere
    }
    uint64_t next_v;
    double prev;
    std::memcpy(&prev, &v, sizeof prev);
    switch (sel >> 2 & 7) {
      case 0:
        next_v = v;
        break;
      case 1:
        next_v = v ^ (vw >> (vw & 63));
        break;
      case 2:
        next_v = vw & 0xfff0000000000000 ? vw : 0x7ff0000000000002;
        break;  // StaleNaN
      case 3:
        next_v = vw;
        break;
      case 4:
        next_v = Bits(prev + static_cast<double>(static_cast<int8_t>(vw)));
        break;  // a counter's small steps
      case 5:
        next_v =
            Bits(std::trunc(prev) + static_cast<double>(static_cast<int64_t>(vw) >> (vw & 63)));
        break;  // integers, any step
      case 6:
        next_v =
            Bits(static_cast<double>(static_cast<int64_t>(vw) >> 11) / std::pow(10.0, vw % 17));
        break;  // decimals, any scale
      default:
        next_v = vw & 1 ? Bits(-0.0) : Bits(std::numeric_limits<double>::infinity());
        break;
    }
    bool older = !want.empty() && next_t < t;
    bool too_far =
        !want.empty() && !older &&
        static_cast<uint64_t>(next_t) - static_cast<uint64_t>(t) > vigil::tsdb::kMaxChunkTimeDelta;
    double d;
    std::memcpy(&d, &next_v, sizeof d);
    absl::Status st = c.Append(next_t, d);
    Check(st.ok() == !(older || too_far));
    if (!st.ok()) continue;
    t = next_t;
    v = next_v;
    want.push_back({t, v});
  }
  Check(c.num_samples() == want.size());
  Check(Decode(c.bytes(), coding) == want);
  Chunk again(coding);
  for (const Sample& x : want) {
    double d;
    std::memcpy(&d, &x.v, sizeof d);
    Check(again.Append(x.t, d).ok());
  }
  Check(std::equal(again.bytes().begin(), again.bytes().end(), c.bytes().begin(), c.bytes().end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Odd: XOR (Prometheus's coding, half the inputs); even: decimal at a scale 0..15.
  ValueCoding coding =
      data[0] & 1 ? ValueCoding::Xor()
                  : ValueCoding::Decimal((data[0] >> 1) % (vigil::tsdb::kMaxDecimalScale + 1));
  std::span<const uint8_t> in(data + 1, size - 1);
  DecodeArbitrary(in, coding);
  RoundTrip(in, coding);
  return 0;
}
