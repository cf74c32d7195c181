#pragma once

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
  uint64_t seq = 0;
  ChunkCursor cursor;
};

// The incremental state behind one WindowSummary (one series, one range length). Between
// two summaries at maxt1 <= maxt2 it decodes only the samples that entered the window
// (after maxt1, up to maxt2) and the ones that left it (before maxt2 - range): O(samples
// appended in between) instead of O(samples in the window). That is what makes a rule
// group evaluated every scrape cheap. Owned by MemSeries; see MemSeries::Window.
struct WindowState {
  int64_t range = 0;
  TimestampMs maxt = 0;
  // Just before the oldest sample with t >= maxt - range (which may be a stale marker).
  ChunkPos start;
  // Just after the newest sample with t <= maxt.
  ChunkPos end;
  uint32_t count = 0;
  bool newest_is_stale = false;
  bool tracks_resets = false;
  Point first{}, last{}, before_last{};
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

}  // namespace vigil::tsdb
