#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/tsdb/chunk.h"

namespace vigil::tsdb {

struct Point {
  TimestampMs t;
  double v;  // may be the staleness marker (codec::StaleNaN)
};

// What rate(), increase(), delta(), irate(), idelta(), resets(), count_over_time(),
// last_over_time() and present_over_time() need of one series' samples in a closed range
// [mint, maxt], staleness markers left out as a range selector leaves them out. With it
// those functions give bit for bit what they give over the decoded points: Prometheus's
// counter correction adds, oldest first, the value before each drop, and that is exactly
// `reset_prev_values` in order.
struct WindowSummary {
  uint32_t count = 0;
  Point first{}, last{};  // oldest and newest sample; valid when count >= 1
  Point before_last{};    // the sample before `last`; valid when count >= 2
  // Whether the newest sample in the window, counting staleness markers, is one: an
  // instant selector then sees nothing.
  bool newest_is_stale = false;
  // Only when asked for (counting them costs memory for gauges): for each pair of
  // consecutive samples in the window whose later value is below the earlier one, the
  // earlier value, oldest first. Valid until the next summary of the same series and
  // range is asked for.
  std::span<const double> reset_prev_values;
};

// Where a reader of a series stands: a chunk (numbered from the series' first chunk ever,
// so the number survives truncation) and the decoder state inside it.
struct ChunkPos {
  // The cursor's tail padding holds `seq`: a position is 40 bytes, and a series read at
  // two ranges keeps three of them (WindowEnd, WindowState).
  [[no_unique_address]] ChunkCursor cursor;
  uint32_t seq = 0;  // MemSeries numbers chunks in 32 bits
};

// Where the windows of a series that end at one maxt end, and the newest samples there:
// shared by every WindowState of the series at that maxt (the rules of an evaluation read a
// series' ranges, `[1m]` and `[5m]` of a bucket, at one time). Owned by MemSeries.
struct WindowEnd {
  TimestampMs maxt = 0;
  // Just after the newest sample with t <= maxt.
  ChunkPos pos;
  // The newest non-stale sample and the one before it, as far as this end has read.
  Point last{}, before_last{};
  bool newest_is_stale = false;
};

// The incremental state behind one WindowSummary (one series, one range length). Between
// two summaries at maxt1 <= maxt2 it decodes only the samples that entered the window
// (after maxt1, up to maxt2) and the ones that left it (before maxt2 - range): O(samples
// appended in between) instead of O(samples in the window). That is what makes a rule
// group evaluated every scrape cheap. The window ends at its WindowEnd, which the states
// of other ranges may share and move forward: a state's window may then reach back
// further than its range until it is asked for again. Owned by MemSeries; see
// MemSeries::Window.
struct WindowState {
  int64_t range = 0;
  // Just before the oldest sample with t >= maxt - range (which may be a stale marker), or
  // before stale markers older than that.
  ChunkPos start;
  uint32_t count = 0;  // non-stale samples between start and the end
  uint16_t end = 0;    // the WindowEnd's index in the series' WindowStates
  bool tracks_resets = false;
  Point first{};  // the oldest non-stale sample; valid when count >= 1
  // Counter drops inside the window: the earlier sample's time and value, oldest first,
  // from index `head` on (the ones before it have left the window). Most series never
  // have one, so it is allocated on the first.
  struct Resets {
    std::vector<TimestampMs> times;
    std::vector<double> values;
    size_t head = 0;
  };
  std::unique_ptr<Resets> resets;
};

// A series' window ends and states in one exact-size allocation (usually one end and one
// or two states: a vector each would add two objects and spare capacity to every series
// rules read).
class WindowStates {
 public:
  WindowStates() = default;
  WindowStates(const WindowStates&) = delete;
  WindowStates& operator=(const WindowStates&) = delete;
  ~WindowStates() { Resize(0, 0); }

  std::span<WindowEnd> ends() const { return {reinterpret_cast<WindowEnd*>(mem_), num_ends_}; }
  std::span<WindowState> states() const {
    return {reinterpret_cast<WindowState*>(mem_ + num_ends_ * sizeof(WindowEnd)), num_states_};
  }
  // Keeps the first min(n, now) ends and states (moved: spans taken before are invalid),
  // default-constructed ones after them.
  void Resize(size_t num_ends, size_t num_states);
  // The allocation's size (0 when there is none).
  size_t bytes() const { return num_ends_ * sizeof(WindowEnd) + num_states_ * sizeof(WindowState); }

 private:
  std::byte* mem_ = nullptr;
  uint16_t num_ends_ = 0;
  uint16_t num_states_ = 0;
};
}  // namespace vigil::tsdb
