#include "lib/tsdb/window.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lib/codec/samples.h"
#include "lib/tsdb/mem_series.h"

namespace vigil::tsdb {
namespace {

// The summary computed from decoded points, the way the engine's range functions read
// them: the reference the incremental state must equal.
struct Expected {
  uint32_t count = 0;
  Point first{}, last{}, before_last{};
  std::vector<double> resets;
};

Expected FromPoints(const MemSeries& s, TimestampMs mint, TimestampMs maxt) {
  std::vector<Point> pts;
  s.Decode(mint, maxt, &pts);
  std::erase_if(pts, [](const Point& p) { return codec::IsStaleNaN(p.v); });
  Expected e;
  e.count = static_cast<uint32_t>(pts.size());
  if (pts.empty()) return e;
  e.first = pts.front();
  e.last = pts.back();
  if (pts.size() >= 2) e.before_last = pts[pts.size() - 2];
  for (size_t i = 1; i < pts.size(); ++i) {
    if (pts[i].v < pts[i - 1].v) e.resets.push_back(pts[i - 1].v);
  }
  return e;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void ExpectSame(const MemSeries& s, int64_t range, TimestampMs maxt) {
  Expected want = FromPoints(s, maxt - range, maxt);
  WindowSummary got = s.Window(range, maxt);
  ASSERT_EQ(got.count, want.count) << "range " << range << " maxt " << maxt;
  if (want.count == 0) return;
  EXPECT_EQ(got.first.t, want.first.t) << maxt;
  EXPECT_TRUE(SameBits(got.first.v, want.first.v)) << maxt;
  EXPECT_EQ(got.last.t, want.last.t) << maxt;
  EXPECT_TRUE(SameBits(got.last.v, want.last.v)) << maxt;
  if (want.count >= 2) {
    EXPECT_EQ(got.before_last.t, want.before_last.t) << maxt;
    EXPECT_TRUE(SameBits(got.before_last.v, want.before_last.v)) << maxt;
  }
  ASSERT_EQ(got.reset_prev_values.size(), want.resets.size()) << maxt;
  for (size_t i = 0; i < want.resets.size(); ++i) {
    EXPECT_TRUE(SameBits(got.reset_prev_values[i], want.resets[i])) << maxt << " reset " << i;
  }
}

TEST(WindowTest, EmptySeriesAndEmptyWindow) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  EXPECT_EQ(s.Window(60'000, 1000).count, 0u);
  ASSERT_TRUE(s.Append(1000, 1));
  EXPECT_EQ(s.Window(60'000, 500).count, 0u);  // before the sample
  WindowSummary w = s.Window(60'000, 1000);    // closed at both ends
  EXPECT_EQ(w.count, 1u);
  EXPECT_EQ(w.first.t, 1000);
  EXPECT_EQ(s.Window(60'000, 61'000).count, 1u);
  EXPECT_EQ(s.Window(60'000, 61'001).count, 0u);
}

TEST(WindowTest, CounterResetsInOrderAndLeavingTheWindow) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  // 10, 20, 5 (reset after 20), 8, 3 (reset after 8), 4
  double values[] = {10, 20, 5, 8, 3, 4};
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(s.Append(i * 1000, values[i]));
  WindowSummary w = s.Window(10'000, 5000);
  ASSERT_EQ(w.reset_prev_values.size(), 2u);
  EXPECT_EQ(w.reset_prev_values[0], 20);
  EXPECT_EQ(w.reset_prev_values[1], 8);
  // [2000, 7000]: the pair (20 -> 5) starts at 1000, outside.
  w = s.Window(5000, 7000);
  ASSERT_EQ(w.reset_prev_values.size(), 1u);
  EXPECT_EQ(w.reset_prev_values[0], 8);
  EXPECT_EQ(w.count, 4u);
  EXPECT_EQ(w.first.v, 5);
}

// Samples can arrive after a summary at a later time than theirs (an evaluation at t, then
// a scrape stamped before t lands): the next summary at the same t includes them.
TEST(WindowTest, SamplesAppendedAtOrBeforeTheLastMaxtAreCounted) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  ASSERT_TRUE(s.Append(1000, 3));
  EXPECT_EQ(s.Window(60'000, 5000).count, 1u);
  ASSERT_TRUE(s.Append(2000, 1));
  ASSERT_TRUE(s.Append(5000, 2));
  WindowSummary w = s.Window(60'000, 5000);
  EXPECT_EQ(w.count, 3u);
  EXPECT_EQ(w.last.t, 5000);
  ASSERT_EQ(w.reset_prev_values.size(), 1u);
  EXPECT_EQ(w.reset_prev_values[0], 3);
}

TEST(WindowTest, StaleMarkersAreLeftOut) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  ASSERT_TRUE(s.Append(1000, 5));
  ASSERT_TRUE(s.Append(2000, codec::StaleNaN()));
  ASSERT_TRUE(s.Append(3000, 1));
  WindowSummary w = s.Window(10'000, 3000);
  EXPECT_EQ(w.count, 2u);
  ASSERT_EQ(w.reset_prev_values.size(), 1u);  // 5 then 1: the marker does not separate them
  EXPECT_EQ(w.reset_prev_values[0], 5);
  w = s.Window(500, 2500);  // only the marker
  EXPECT_EQ(w.count, 0u);
  w = s.Window(1500, 3500);  // starts at the marker: first is the sample after it
  EXPECT_EQ(w.count, 1u);
  EXPECT_EQ(w.first.t, 3000);
}

// Randomized: a counter with resets, NaNs and stale markers, appended across many chunks
// and truncated as the evaluator does, summarized at increasing (and sometimes older)
// times for two ranges. Every summary must equal the one from decoded points.
TEST(WindowTest, IncrementalEqualsDecodedUnderAppendTruncateAndTimeJumps) {
  std::mt19937 rng(7);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  double v = 0;
  TimestampMs t = 1'000'000;
  for (int step = 0; step < 3000; ++step) {
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      t += 500 + static_cast<TimestampMs>(rng() % 1500);
      int kind = static_cast<int>(rng() % 50);
      double x = kind == 0   ? codec::StaleNaN()
                 : kind == 1 ? std::nan("")
                 : kind < 5  ? (v = static_cast<double>(rng() % 10))
                             : (v += static_cast<double>(rng() % 7));
      ASSERT_TRUE(s.Append(t, x));
    }
    TimestampMs maxt = t - static_cast<TimestampMs>(rng() % 3000);
    if (step % 97 == 0) maxt -= 200'000;  // a query at an older time
    if (step % 7 == 0) maxt = t + 3000;   // later appends land at or before it
    ExpectSame(s, 60'000, maxt);
    ExpectSame(s, 300'000, maxt);
    if (step % 10 == 0) s.Truncate(t - 360'000);
  }
}

// The values change character every few chunks (integers, two-decimal gauges, arbitrary
// floats, then integers again), so chunks switch between the XOR and decimal codings and
// window states cross chunks of both kinds.
TEST(WindowTest, IncrementalEqualsDecodedAcrossChunkCodings) {
  std::mt19937 rng(9);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  double v = 0;
  TimestampMs t = 1'000'000;
  for (int step = 0; step < 4000; ++step) {
    t += 1000;
    switch (step / 400 % 3) {
      case 0:
        v = std::round(v) + static_cast<double>(rng() % 50);
        break;
      case 1:
        v = static_cast<double>(rng() % 100000) / 100;
        break;
      default:
        v += static_cast<double>(rng()) / 3;
        break;
    }
    ASSERT_TRUE(s.Append(t, rng() % 200 == 0 ? codec::StaleNaN() : v));
    if (step % 3 == 0) {
      ExpectSame(s, 60'000, t);
      ExpectSame(s, 300'000, t - 500);
    }
    if (step % 50 == 0) s.Truncate(t - 360'000);
  }
}

// States whose positions lie in a first chunk that truncation re-encodes (compaction):
// at its end, at the hidden boundary, inside the hidden part (dropped, rebuilt), and
// reaching into later chunks. Each must then equal decoding, before and after it moves on.
TEST(WindowTest, StatesInACompactedChunkEqualDecoded) {
  std::mt19937_64 rng(21);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  double v = 0;
  TimestampMs t = 0;
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i, t += 1000) {
      v += static_cast<double>(rng() % 1000) / 7;
      ASSERT_TRUE(s.Append(t, v));
    }
  };
  append(480);
  // (range, maxt): chunk 0 holds 0..119 s.
  const std::vector<std::pair<int64_t, TimestampMs>> states = {
      {20'000, 119'000},   // [99 s, 119 s]: ends at chunk 0's last sample
      {60'000, 100'000},   // starts at 40 s: inside what is hidden below
      {90'000, 140'000},   // starts at 50 s: the first visible sample
      {200'000, 300'000},  // starts at 100 s, ends in chunk 2
  };
  for (const auto& [range, maxt] : states) ExpectSame(s, range, maxt);
  s.Truncate(50'000);  // hides 50 samples of chunk 0: it is re-encoded
  for (const auto& [range, maxt] : states) ExpectSame(s, range, maxt);
  for (const auto& [range, maxt] : states) ExpectSame(s, range, maxt + 30'000);
  append(60);
  s.Truncate(95'000);  // hides 45 of the re-encoded chunk: again
  for (const auto& [range, maxt] : states) ExpectSame(s, range, maxt + 60'000);
  ExpectSame(s, 200'000, t);
}

TEST(WindowTest, StatesForWindowsOlderThanTruncationAreDropped) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(s.Append(i * 1000, i));
  size_t before = s.MemoryBytes();
  s.Window(60'000, 100'000);
  EXPECT_GT(s.MemoryBytes(), before);
  s.Truncate(200'000);
  size_t after_truncate_with_state = s.MemoryBytes();
  MemSeries fresh(labels::Labels({{"__name__", "x"}}));
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(fresh.Append(i * 1000, i));
  fresh.Truncate(200'000);
  EXPECT_EQ(after_truncate_with_state, fresh.MemoryBytes());
}

// Truncation drops the states of old windows from the middle of the series' states and
// keeps the others, which go on moving forward.
TEST(WindowTest, TruncationKeepsTheStatesOfNewerWindows) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(s.Append(i * 1000, i % 50));
  ExpectSame(s, 300'000, 500'000);
  ExpectSame(s, 60'000, 100'000);  // ends before the truncation below
  ExpectSame(s, 30'000, 550'000);
  size_t three_states = s.MemoryBytes();
  s.Truncate(200'000);
  for (int i = 600; i < 700; ++i) ASSERT_TRUE(s.Append(i * 1000, i % 50));
  ExpectSame(s, 300'000, 650'000);
  ExpectSame(s, 30'000, 690'000);
  ExpectSame(s, 60'000, 699'000);  // a new state for the dropped range
  for (int i = 700; i < 720; ++i) ASSERT_TRUE(s.Append(i * 1000, i % 50));
  ExpectSame(s, 300'000, 719'000);
  ExpectSame(s, 30'000, 719'000);
  ExpectSame(s, 60'000, 719'000);
  EXPECT_LT(s.MemoryBytes(), three_states + 1000);
}

// Randomized, for the ends that states of several ranges share: three ranges asked for at
// one time (one end), at times that drift apart (an end each) and come together again, one
// of them going back in time, some without counter drops, under truncation. Every summary
// must equal the one from decoded points.
TEST(WindowTest, RangesSharingAndSplittingTheirEndEqualDecoded) {
  std::mt19937 rng(11);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  double v = 0;
  TimestampMs t = 1'000'000;
  const int64_t ranges[] = {60'000, 300'000, 15'000};
  for (int step = 0; step < 3000; ++step) {
    t += 1000;
    int kind = static_cast<int>(rng() % 40);
    double x = kind == 0   ? codec::StaleNaN()
               : kind == 1 ? (v = static_cast<double>(rng() % 10))
                           : (v += static_cast<double>(rng() % 7));
    ASSERT_TRUE(s.Append(t, x));
    const int phase = step / 100 % 4;  // together, apart, one going back, together
    for (int r = 0; r < 3; ++r) {
      TimestampMs maxt = t;
      if (phase == 1) maxt = t - 700 * r;
      if (phase == 2 && r == 1 && step % 5 == 0) maxt = t - 120'000;
      if (r == 2 && step % 3 != 0) continue;  // read less often: its window lags
      Expected want = FromPoints(s, maxt - ranges[r], maxt);
      WindowSummary got = s.Window(ranges[r], maxt, /*with_resets=*/r != 2);
      ASSERT_EQ(got.count, want.count) << "step " << step << " range " << ranges[r];
      if (want.count == 0) continue;
      EXPECT_EQ(got.first.t, want.first.t) << step;
      EXPECT_TRUE(SameBits(got.first.v, want.first.v)) << step;
      EXPECT_EQ(got.last.t, want.last.t) << step;
      if (want.count >= 2) EXPECT_EQ(got.before_last.t, want.before_last.t) << step;
      if (r != 2) EXPECT_EQ(got.reset_prev_values.size(), want.resets.size()) << step;
    }
    if (step % 10 == 0) s.Truncate(t - 330'000);
  }
}

// What the sharing is for: a series read with [1m] and [5m] at one evaluation time keeps one
// end for both, so the second range costs less than the first, and reading them at two
// times costs more (an end each) until they are read at one time again.
TEST(WindowTest, RangesReadAtOneTimeShareOneEnd) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(s.Append(i * 1000, i));
  const size_t none = s.MemoryBytes();
  s.Window(60'000, 399'000);
  const size_t one = s.MemoryBytes();
  s.Window(300'000, 399'000);
  const size_t two = s.MemoryBytes();
  EXPECT_GT(one, none);
  EXPECT_LT(two - one, one - none);
  EXPECT_LE(two - none, 2 * sizeof(WindowState) + sizeof(WindowEnd) + 16);
  ASSERT_TRUE(s.Append(400'000, 400));
  ExpectSame(s, 60'000, 400'000);
  ExpectSame(s, 300'000, 399'500);  // apart: an end each
  EXPECT_GT(s.MemoryBytes(), two);
  ExpectSame(s, 300'000, 400'000);  // together again
  EXPECT_EQ(s.MemoryBytes(), two);
  ASSERT_TRUE(s.Append(401'000, 401));
  ExpectSame(s, 60'000, 401'000);
  ExpectSame(s, 300'000, 401'000);
  EXPECT_EQ(s.MemoryBytes(), two);
}

// A shared end older than the truncation goes with every state at it; a shared end whose
// states reach into a compacted first chunk moves with it. Then the states are rebuilt or
// move on, equal to decoding.
TEST(WindowTest, SharedEndsUnderTruncationAndCompaction) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  TimestampMs t = 0;
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i, t += 1000) ASSERT_TRUE(s.Append(t, static_cast<double>(t % 7000)));
  };
  append(480);
  MemSeries fresh(labels::Labels({{"__name__", "x"}}));
  for (TimestampMs u = 0; u < t; u += 1000)
    ASSERT_TRUE(fresh.Append(u, static_cast<double>(u % 7000)));
  ExpectSame(s, 20'000, 100'000);
  ExpectSame(s, 60'000, 100'000);  // one end at 100 s, both states at it
  s.Truncate(100'001);             // the end is older: both states go
  fresh.Truncate(100'001);
  EXPECT_EQ(s.MemoryBytes(), fresh.MemoryBytes());
  // Chunk 1 holds 120..239 s. Three states share an end at 200 s, starting at 140 s (to
  // be hidden), at 150 s (to be the first visible sample) and at 170 s.
  const int64_t ranges[] = {60'000, 50'000, 30'000};
  for (int64_t r : ranges) ExpectSame(s, r, 200'000);
  s.Truncate(150'000);  // drops chunk 0, hides 30 samples of chunk 1: it is re-encoded
  for (int64_t r : ranges) ExpectSame(s, r, 200'000);
  for (int64_t r : ranges) ExpectSame(s, r, 201'000);
  append(30);
  for (int64_t r : ranges) ExpectSame(s, r, t - 1000);
}

}  // namespace
}  // namespace vigil::tsdb
