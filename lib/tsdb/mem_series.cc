#include "lib/tsdb/mem_series.h"

#include <algorithm>
#include <limits>
#include <span>
#include <string>

#include "absl/container/inlined_vector.h"

namespace vigil::tsdb {

// Every series has one: 120 bytes are malloc's 128-byte block (with libstdc++'s 32-byte
// std::string in Labels).
#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(MemSeries) <= 120);
// A window end and a state: 88 and 80 bytes, so the usual one end and two states are
// malloc's 256-byte block.
static_assert(sizeof(ChunkPos) == 40);
static_assert(sizeof(WindowEnd) == 88 && sizeof(WindowState) == 80);
#endif

size_t HeapBytes(size_t n) {
  if (n == 0) return 0;
  return std::max<size_t>(32, (n + 8 + 15) / 16 * 16);
}

size_t LabelsHeapBytes(const labels::Labels& l) {
  return l.HeapBytes() == 0 ? 0 : HeapBytes(l.HeapBytes());
}

bool MemSeries::Append(TimestampMs t, double v) {
  if (head_.num_samples() > 0) {
    if (t <= head_.last_t()) return false;
  } else if (!closed_.empty() && t <= closed_.max_t(closed_.size() - 1)) {
    return false;
  }
  if (closed_.empty() && head_.num_samples() == 0 && !xor_only_) {
    int scale = DecimalScaleOf(v);
    head_ = Chunk(scale < 0 ? ValueCoding::Xor() : ValueCoding::Decimal(scale));
  }
  // Fails only on a gap too long for one chunk (the timestamp is newer, and the chunk is
  // closed long before it is full): a new chunk takes the sample.
  if (!head_.Append(t, v).ok()) {
    CloseHeadChunk();
    (void)head_.Append(t, v);
  }
  if (head_.num_samples() >= kSamplesPerChunk) CloseHeadChunk();
  return true;
}

void MemSeries::CloseHeadChunk() {
  closed_.PushBack(head_);
  ++num_closed_;
  head_ = Chunk(xor_only_ ? ValueCoding::Xor() : head_.NextCoding());
}

ChunkIterator MemSeries::ChunkAt(uint64_t seq, const ChunkCursor& at) const {
  size_t i = seq - dropped_chunks_;
  if (i < closed_.size()) {
    return ChunkIterator(closed_.bytes(i), closed_.coding(i), at);
  }
  return ChunkIterator(head_.bytes(), head_.coding(), at);
}

ChunkCursor MemSeries::ChunkStart(uint64_t seq) const {
  if (seq != dropped_chunks_ || hidden_ == 0) return ChunkCursor{};
  ChunkIterator it = ChunkAt(seq, ChunkCursor{});
  while (it.cursor().num_read < hidden_ && it.Next()) {
  }
  return it.cursor();
}

ChunkPos MemSeries::PositionBefore(TimestampMs t) const {
  // A chunk's samples are all newer than the previous chunk's last one.
  size_t i = 0;
  while (i < closed_.size() && closed_.max_t(i) < t) ++i;
  uint64_t seq = dropped_chunks_ + i;
  return ChunkPos{.cursor = ChunkStart(seq), .seq = static_cast<uint32_t>(seq)};
}

std::optional<TimestampMs> MemSeries::NewestTimeBefore(TimestampMs t) const {
  if (empty()) return std::nullopt;
  const ChunkPos from = PositionBefore(t);
  // The chunks before `from` hold only samples older than t; the last of them ends with
  // the newest such sample (a kept chunk's last sample is never hidden).
  std::optional<TimestampMs> newest;
  if (from.seq > first_seq()) newest = closed_.max_t(from.seq - first_seq() - 1);
  SeriesReader reader(*this, from);
  Point p;
  while (reader.Next(&p) && p.t < t) newest = p.t;
  return newest;
}

void MemSeries::DropFirstChunks(size_t k) {
  if (k == 0) return;
  if (closed_.empty()) {
    head_ = Chunk();  // k == 1: the open chunk is the only one
  } else {
    closed_.PopFront(k);
    num_closed_ -= static_cast<uint32_t>(k);
  }
  hidden_ = 0;
  dropped_chunks_ += static_cast<uint32_t>(k);
}

size_t MemSeries::Truncate(TimestampMs min_t) {
  const size_t before = num_samples();
  // The closed chunks wholly older than min_t, dropped at once (max_t grows with the index).
  size_t old_chunks = 0;
  while (old_chunks < closed_.size() && closed_.max_t(old_chunks) < min_t) ++old_chunks;
  DropFirstChunks(old_chunks);
  if (closed_.empty() && head_.num_samples() > 0 && head_.last_t() < min_t) DropFirstChunks(1);
  // States whose window ends before min_t go first: compaction need not move them.
  if (!windows_.states().empty()) {
    std::span<const WindowEnd> ends = windows_.ends();
    KeepWindows([&](WindowState& w) { return ends[w.end].maxt >= min_t; });
  }
  if (!empty()) {
    // Hide the first chunk's samples older than min_t (those hidden already stay hidden);
    // a sample at or after min_t is left in it (else it would have been dropped above).
    const uint16_t was_hidden = hidden_;
    for (ChunkIterator it = ChunkAt(first_seq(), ChunkCursor{}); it.Next();) {
      if (it.cursor().num_read > was_hidden && it.t() >= min_t) break;
      hidden_ = it.cursor().num_read;
    }
    if (hidden_ >= kHiddenSamplesToCompact) CompactFirstChunk();
  }
  return before - num_samples();
}

void MemSeries::KeepWindows(absl::FunctionRef<bool(WindowState&)> keep) const {
  // A plain loop: `keep` may change the state it looks at, which std::remove_if's
  // predicate must not.
  std::span<WindowState> states = windows_.states();
  std::span<WindowEnd> ends = windows_.ends();
  size_t kept = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    if (!keep(states[i])) continue;
    if (kept != i) states[kept] = std::move(states[i]);
    ++kept;
  }
  // The ends the kept states use, in order, renumbered.
  constexpr uint16_t kUnused = 0xffff;
  absl::InlinedVector<uint16_t, 4> renumbered(ends.size(), kUnused);
  for (size_t i = 0; i < kept; ++i) renumbered[states[i].end] = 0;
  size_t kept_ends = 0;
  for (size_t e = 0; e < ends.size(); ++e) {
    if (renumbered[e] == kUnused) continue;
    ends[kept_ends] = ends[e];
    renumbered[e] = static_cast<uint16_t>(kept_ends++);
  }
  for (size_t i = 0; i < kept; ++i) states[i].end = renumbered[states[i].end];
  if (kept < states.size() || kept_ends < ends.size()) windows_.Resize(kept_ends, kept);
}

void MemSeries::CompactFirstChunk() {
  const uint16_t hidden = hidden_;
  const bool open = closed_.empty();
  Chunk rest(open ? head_.coding() : closed_.coding(0));
  for (ChunkIterator it = ChunkAt(first_seq(), ChunkStart(first_seq())); it.Next();) {
    (void)rest.Append(it.t(), it.v());  // bit for bit: same coding, same values
  }
  if (open) {
    head_ = std::move(rest);  // appended to from here on, as the old one would have been
  } else {
    closed_.ReplaceFront(rest);  // the same last sample, so the same max_t
  }
  hidden_ = 0;
  // A position after k samples of the old chunk is after k - hidden of the new one.
  auto move = [&](ChunkPos& p) {
    if (p.seq != first_seq()) return true;
    if (p.cursor.num_read < hidden) return false;
    const uint16_t want = static_cast<uint16_t>(p.cursor.num_read - hidden);
    p.cursor = ChunkCursor{};
    for (ChunkIterator it = ChunkAt(first_seq(), ChunkCursor{});
         p.cursor.num_read < want && it.Next();) {
      p.cursor = it.cursor();
    }
    return true;
  };
  // An end inside the hidden part goes with its states.
  absl::InlinedVector<bool, 4> end_kept;
  for (WindowEnd& e : windows_.ends()) end_kept.push_back(move(e.pos));
  KeepWindows([&](WindowState& w) { return end_kept[w.end] && move(w.start); });
}

void MemSeries::Decode(std::vector<Point>* out) const {
  Decode(std::numeric_limits<TimestampMs>::min(), std::numeric_limits<TimestampMs>::max(), out);
}

void MemSeries::Decode(TimestampMs mint, TimestampMs maxt, std::vector<Point>* out) const {
  if (mint > maxt) return;
  const ChunkPos from = PositionBefore(mint);
  // Reserve for the chunks that overlap: at most their samples are kept.
  size_t n = head_.num_samples();
  for (size_t i = from.seq - dropped_chunks_; i < closed_.size(); ++i) n += closed_.num_samples(i);
  out->reserve(out->size() + std::min<size_t>(n, num_samples()));
  SeriesReader reader(*this, from);
  Point p;
  // Stops at the first sample after maxt: later ones are all newer.
  while (reader.Next(&p) && p.t <= maxt) {
    if (p.t >= mint) out->push_back(p);
  }
}

MemSeries::Bytes MemSeries::MemoryParts() const {
  Bytes b;
  b.object = HeapBytes(sizeof(MemSeries));
  b.labels = LabelsHeapBytes(labels_);
  b.closed_chunks = HeapBytes(closed_.allocated_bytes());
  b.open_chunk = HeapBytes(head_.capacity_bytes());
  if (windows_.bytes() > 0) {
    b.windows = HeapBytes(windows_.bytes());
    for (const WindowState& w : windows_.states()) {
      if (w.resets == nullptr) continue;
      b.windows += HeapBytes(sizeof(WindowState::Resets)) +
                   HeapBytes(w.resets->times.capacity() * sizeof(TimestampMs)) +
                   HeapBytes(w.resets->values.capacity() * sizeof(double));
    }
  }
  return b;
}

}  // namespace vigil::tsdb
