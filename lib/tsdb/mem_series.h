#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/tsdb/chunk.h"
#include "lib/tsdb/closed_chunks.h"
#include "lib/tsdb/window.h"

namespace vigil::tsdb {

// Prometheus's samplesPerChunk: the open chunk is closed at this many samples. (Prometheus
// also cuts at chunk-range boundaries it needs for blocks; the head here has no blocks.)
inline constexpr uint16_t kSamplesPerChunk = 120;
// Once truncation hides this many samples of the first (closed) chunk, the rest is
// re-encoded into a chunk of its own and the hidden bytes are freed: on average half a
// chunk would otherwise be held for nothing, 7-8 bytes a sample for float series.
inline constexpr uint16_t kHiddenSamplesToCompact = kSamplesPerChunk / 4;

// Whether a head may store values in the decimal coding (see ValueCoding), or only in
// Prometheus's XOR coding (for measuring one against the other).
enum class ValueCodings : uint8_t { kXorOrDecimal, kXorOnly };

// One series' recent samples (Prometheus's memSeries): closed chunks, oldest first, then
// the open one. A new series' first chunk takes the coding its first value fits; each
// later chunk the one its predecessor's values suggested (Chunk::NextCoding). Truncation
// drops whole chunks and hides the older samples of the first chunk behind a saved decoder
// cursor, so readers never see them; a closed first chunk with enough of them hidden is
// re-encoded without them (kHiddenSamplesToCompact), so each sample is decoded by
// truncation about twice over its life. Not thread-safe.
class MemSeries {
 public:
  explicit MemSeries(labels::Labels labels, ValueCodings codings = ValueCodings::kXorOrDecimal)
      : labels_(std::move(labels)), xor_only_(codings == ValueCodings::kXorOnly) {}
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  const labels::Labels& labels() const { return labels_; }

  // Out-of-order and duplicate timestamps are rejected (false), as Prometheus's head does.
  bool Append(TimestampMs t, double v);

  // Hides every sample older than `min_t`; returns how many became hidden. The series is
  // empty afterwards when none is left.
  size_t Truncate(TimestampMs min_t);
  bool empty() const { return num_samples() == 0; }
  // The time of the newest visible sample older than `t` (staleness markers included), if
  // there is one.
  std::optional<TimestampMs> NewestTimeBefore(TimestampMs t) const;
  size_t num_samples() const { return closed_.num_samples() + head_.num_samples() - hidden_; }

  // Appends the visible samples, oldest first, to `out`.
  void Decode(std::vector<Point>* out) const;
  // Appends the visible samples with timestamps in [mint, maxt], oldest first, to `out`.
  // Decodes only the chunks that can hold such samples (a chunk's samples are all newer
  // than the previous chunk's last one), and stops at the first sample after maxt.
  void Decode(TimestampMs mint, TimestampMs maxt, std::vector<Point>* out) const;

  // The samples in [maxt - range, maxt] summarized for the range functions that need no
  // more (see WindowSummary), exactly as Decode(maxt - range, maxt) would give them. The
  // series keeps one WindowState per range length asked for and moves it forward: when
  // maxt only grows between calls with the same range, each call decodes only the samples
  // appended since the last one and those that left the window. Otherwise (an older maxt,
  // samples hidden by truncation under the state) the state is rebuilt from the chunks.
  // The states of ranges asked for at one maxt share their end (WindowEnd); a range asked
  // for at an older maxt than another range moved that end to is rebuilt on an end of its
  // own. States whose window ends before a Truncate's min_t are dropped by it.
  // Counter drops are tracked only when `with_resets` (or an earlier call wanted them).
  WindowSummary Window(int64_t range, TimestampMs maxt, bool with_resets = true) const;

  // Estimated heap bytes this series holds (chunks, labels, itself), allocator overhead
  // included.
  size_t MemoryBytes() const { return MemoryParts().total(); }
  // The same, by part.
  struct Bytes {
    size_t object = 0;         // the MemSeries itself
    size_t labels = 0;         // the label set's heap
    size_t closed_chunks = 0;  // the closed chunks' allocation
    size_t open_chunk = 0;     // the open chunk's bytes, spare capacity included
    size_t windows = 0;        // Window()'s states, counter drops included
    size_t total() const { return object + labels + closed_chunks + open_chunk + windows; }
    Bytes& operator+=(const Bytes& o) {
      object += o.object;
      labels += o.labels;
      closed_chunks += o.closed_chunks;
      open_chunk += o.open_chunk;
      windows += o.windows;
      return *this;
    }
  };
  Bytes MemoryParts() const;

 private:
  friend class SeriesReader;
  // Chunks by sequence number: first_seq() is the oldest kept, last_seq() the open one.
  uint64_t first_seq() const { return dropped_chunks_; }
  uint64_t last_seq() const { return uint64_t{dropped_chunks_} + num_closed_; }
  // An iterator over chunk `seq` from `at`.
  ChunkIterator ChunkAt(uint64_t seq, const ChunkCursor& at) const;
  // The decoder state before the first visible sample of chunk `seq` (for the first
  // chunk, decoded past its hidden samples: at most about kHiddenSamplesToCompact).
  ChunkCursor ChunkStart(uint64_t seq) const;
  // The position before the first visible sample that may be >= t.
  ChunkPos PositionBefore(TimestampMs t) const;
  // Drops the `k` oldest chunks (the open one only when it is the only one, k == 1).
  void DropFirstChunks(size_t k);
  // Re-encodes the first chunk's visible samples alone (closed or open) and moves the
  // window states' positions in it accordingly (those inside the hidden part are dropped).
  void CompactFirstChunk();
  // Keeps the window states `keep` returns true for (it may update them), in order, and
  // the ends they use.
  void KeepWindows(absl::FunctionRef<bool(WindowState&)> keep) const;
  // Moves end `e` forward to `maxt`, counting the samples it reads into every state at it.
  void AdvanceEnd(size_t e, TimestampMs maxt) const;
  void CloseHeadChunk();

  // Every series has one of these: its fields are ordered to leave no padding, and each
  // 16 bytes more are 16 bytes more of malloc's per series.
  labels::Labels labels_;
  Chunk head_;
  ClosedChunks closed_;
  // Window() states, one per range length asked for (rarely more than two), and their
  // ends, one per maxt they were last asked for (usually one). The next fields may take
  // its tail padding.
  [[no_unique_address]] mutable WindowStates windows_;
  // Chunks dropped by truncation so far: a chunk's sequence number is this plus its index.
  // 32 bits last 2^32 chunks of 120 samples, 16 years at a sample a millisecond.
  uint32_t dropped_chunks_ = 0;
  // closed_.size(), which is in closed_'s allocation: Window() needs the open chunk's
  // number at every call, and reading it there cost a cache miss per series and range
  // read (≈ 10 % more CPU per evaluation at 100,000 series).
  uint32_t num_closed_ = 0;
  // Samples of the first chunk (closed_[0], or head_ when there is no closed chunk) that
  // truncation hid. A count and not the decoder's state after them (40 bytes): the few
  // readers that start at the first chunk's beginning decode them again, and compaction
  // keeps them under kHiddenSamplesToCompact + the samples one truncation hides.
  uint16_t hidden_ = 0;
  bool xor_only_;
};

// Reads a series' visible samples forward from a position, across chunk boundaries. A
// position at the end of the open chunk stays valid as samples are appended to it and
// when it is closed (its bytes are copied unchanged).
class SeriesReader {
 public:
  SeriesReader(const MemSeries& s, const ChunkPos& at)
      : s_(s), seq_(at.seq), it_(s.ChunkAt(at.seq, at.cursor)) {}

  // The next sample; false (position unchanged) when there is none yet.
  bool Next(Point* p) {
    while (!it_.Next()) {
      if (seq_ >= s_.last_seq()) return false;
      ++seq_;
      it_ = s_.ChunkAt(seq_, s_.ChunkStart(seq_));
    }
    *p = Point{it_.t(), it_.v()};
    return true;
  }
  ChunkPos pos() const {
    return ChunkPos{.cursor = it_.cursor(), .seq = static_cast<uint32_t>(seq_)};
  }

 private:
  const MemSeries& s_;
  uint64_t seq_;
  ChunkIterator it_;
};

// What malloc really takes for an `n`-byte request (glibc: 8 bytes of header, 16-byte
// granularity, 32 bytes at least); 0 for 0.
size_t HeapBytes(size_t n);
// Heap bytes of a label set beyond sizeof(Labels): the item array and long strings.
size_t LabelsHeapBytes(const labels::Labels& l);

}  // namespace vigil::tsdb
