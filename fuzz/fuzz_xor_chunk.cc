// The XOR chunk codec (lib/tsdb/xor_chunk.h). Every input is used twice:
//  - as chunk bytes: decoding arbitrary bytes ends cleanly (no read outside the input), and
//    resuming from any cursor yields the same samples as decoding straight through;
//  - as a script of samples: whatever is appended decodes back bit for bit (every NaN
//    payload included), negative deltas are rejected, and the encoding is deterministic.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "lib/tsdb/xor_chunk.h"

namespace {

using vigil::tsdb::XorChunk;
using vigil::tsdb::XorIterator;

struct Sample {
  int64_t t;
  uint64_t v;
  bool operator==(const Sample&) const = default;
};

void Check(bool ok) {
  if (!ok) std::abort();
}

std::vector<Sample> Decode(std::span<const uint8_t> bytes, const XorIterator::Cursor& from = {}) {
  std::vector<Sample> out;
  XorIterator it(bytes, from);
  while (it.Next()) out.push_back({it.t(), it.v_bits()});
  return out;
}

void DecodeArbitrary(std::span<const uint8_t> bytes) {
  std::vector<Sample> all = Decode(bytes);
  XorIterator it(bytes);
  for (size_t i = 0; it.Next(); ++i) {
    if (i % 7 != 0) continue;
    std::vector<Sample> rest = Decode(bytes, it.cursor());
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

void RoundTrip(std::span<const uint8_t> in) {
  Script s(in);
  XorChunk c;
  std::vector<Sample> want;
  int64_t t = 0;
  uint64_t v = 0;
  while (!s.done() && want.size() < vigil::tsdb::kXorMaxSamples) {
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
    switch (sel >> 2 & 3) {
      case 0:
        next_v = v;
        break;
      case 1:
        next_v = v ^ (vw >> (vw & 63));
        break;
      case 2:
        next_v = vw & 0xfff0000000000000 ? vw : 0x7ff0000000000002;
        break;  // StaleNaN
      default:
        next_v = vw;
        break;
    }
    bool older = !want.empty() && next_t < t;
    double d;
    std::memcpy(&d, &next_v, sizeof d);
    absl::Status st = c.Append(next_t, d);
    Check(st.ok() != older);
    if (!st.ok()) continue;
    t = next_t;
    v = next_v;
    want.push_back({t, v});
  }
  Check(c.num_samples() == want.size());
  Check(Decode(c.bytes()) == want);
  XorChunk again;
  for (const Sample& x : want) {
    double d;
    std::memcpy(&d, &x.v, sizeof d);
    Check(again.Append(x.t, d).ok());
  }
  Check(std::equal(again.bytes().begin(), again.bytes().end(), c.bytes().begin(), c.bytes().end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  DecodeArbitrary(in);
  RoundTrip(in);
  return 0;
}
