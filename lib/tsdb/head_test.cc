#include "lib/tsdb/head.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>

#include "lib/codec/samples.h"

namespace vigil::tsdb {
namespace {

std::vector<Point> Points(const MemSeries& s) {
  std::vector<Point> out;
  s.Decode(&out);
  return out;
}

TEST(HeadTest, AppendSelectTruncate) {
  Head h;
  labels::Labels a({{"__name__", "up"}, {"job", "a"}});
  labels::Labels b({{"__name__", "up"}, {"job", "b"}});
  EXPECT_TRUE(h.Append(a, 1000, 1));
  EXPECT_TRUE(h.Append(a, 2000, 0));
  EXPECT_FALSE(h.Append(a, 2000, 5));  // duplicate timestamp
  EXPECT_FALSE(h.Append(a, 1500, 5));  // out of order
  EXPECT_TRUE(h.Append(b, 1000, 1));
  auto m = labels::Matcher::Create(labels::MatchType::kEqual, "job", "a");
  auto sel = h.Select({*m});
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(Points(*sel[0]).size(), 2u);
  EXPECT_EQ(h.num_samples(), 3u);
  h.Truncate(1500);
  EXPECT_EQ(h.num_series(), 1u);
  EXPECT_EQ(h.num_samples(), 1u);
  sel = h.Select({*m});
  ASSERT_EQ(sel.size(), 1u);
  auto p = Points(*sel[0]);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].t, 2000);
  EXPECT_EQ(p[0].v, 0);
}

// Random appends and truncations against a plain vector, across many chunks.
TEST(HeadTest, MatchesPlainStorage) {
  std::mt19937_64 rng(7);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  std::vector<Point> want;
  TimestampMs t = 0;
  for (int step = 0; step < 5000; ++step) {
    if (rng() % 50 == 0) {
      TimestampMs min_t = t - static_cast<TimestampMs>(rng() % 200'000);
      size_t before = want.size();
      std::erase_if(want, [&](const Point& p) { return p.t < min_t; });
      EXPECT_EQ(s.Truncate(min_t), before - want.size());
    } else {
      t += 1 + static_cast<TimestampMs>(rng() % 2000);
      double v = rng() % 10 == 0 ? std::bit_cast<double>(uint64_t{0x7ff0000000000002})
                                 : static_cast<double>(rng() % 5);
      ASSERT_TRUE(s.Append(t, v));
      EXPECT_FALSE(s.Append(t, v));
      want.push_back({t, v});
    }
    ASSERT_EQ(s.num_samples(), want.size());
    if (step % 97 == 0 || step > 4900) {
      auto got = Points(s);
      ASSERT_EQ(got.size(), want.size()) << step;
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].t, want[i].t);
        ASSERT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(want[i].v));
      }
    }
  }
}

TEST(HeadTest, RangedDecodeReturnsExactlyTheSamplesInRange) {
  // 500 samples 1 s apart (four closed chunks and an open one), the oldest 50 truncated.
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(s.Append(i * 1000, i));
  s.Truncate(50'000);
  std::vector<Point> all = Points(s);
  ASSERT_EQ(all.size(), 450u);
  for (auto [mint, maxt] : std::vector<std::pair<int64_t, int64_t>>{{0, 1'000'000},
                                                                    {50'000, 50'000},
                                                                    {119'000, 120'000},
                                                                    {239'500, 360'500},
                                                                    {480'000, 499'000},
                                                                    {499'001, 600'000},
                                                                    {-5, 49'999},
                                                                    {300'000, 200'000}}) {
    std::vector<Point> want;
    for (const Point& p : all) {
      if (p.t >= mint && p.t <= maxt) want.push_back(p);
    }
    std::vector<Point> got;
    s.Decode(mint, maxt, &got);
    ASSERT_EQ(got.size(), want.size()) << mint << ".." << maxt;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].t, want[i].t);
      EXPECT_EQ(got[i].v, want[i].v);
    }
  }
}

TEST(HeadTest, NewestTimeBeforeLooksAcrossChunksAndHiddenSamples) {
  MemSeries s(labels::Labels({{"__name__", "c"}}));
  EXPECT_EQ(s.NewestTimeBefore(5), std::nullopt);
  // Samples every 10 ms over three and a half chunks.
  const int n = 3 * kSamplesPerChunk + kSamplesPerChunk / 2;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(s.Append(i * 10, i));
  EXPECT_EQ(s.NewestTimeBefore(0), std::nullopt);
  EXPECT_EQ(s.NewestTimeBefore(1), 0);
  EXPECT_EQ(s.NewestTimeBefore(10), 0);
  EXPECT_EQ(s.NewestTimeBefore(11), 10);
  // The last sample of a closed chunk, and the first of the next.
  const TimestampMs last_of_first = (kSamplesPerChunk - 1) * 10;
  EXPECT_EQ(s.NewestTimeBefore(last_of_first + 1), last_of_first);
  EXPECT_EQ(s.NewestTimeBefore(last_of_first + 10), last_of_first);
  EXPECT_EQ(s.NewestTimeBefore(last_of_first + 11), last_of_first + 10);
  EXPECT_EQ(s.NewestTimeBefore(1'000'000), (n - 1) * 10);
  // Hidden samples are not found.
  s.Truncate(55);
  EXPECT_EQ(s.NewestTimeBefore(55), std::nullopt);
  EXPECT_EQ(s.NewestTimeBefore(61), 60);
}

// Series the predicate picks keep, of what is older than short_min_t, only the newest
// sample (a staleness marker too): an instant query at short_min_t or later still finds
// what it would find with every sample kept. The others keep everything since min_t.
TEST(HeadTest, ShortRetentionKeepsTheNewestSampleBeforeItsCut) {
  Head h;
  labels::Labels unread({{"__name__", "job:x:sum"}});
  labels::Labels read({{"__name__", "x"}});
  labels::Labels stale({{"__name__", "job:y:sum"}});
  labels::Labels sparse({{"__name__", "job:z:sum"}});
  for (int i = 0; i < 2 * kSamplesPerChunk; ++i) {
    ASSERT_TRUE(h.Append(unread, i * 1000, i));
    ASSERT_TRUE(h.Append(read, i * 1000, i));
    ASSERT_TRUE(h.Append(stale, i * 1000, i == 200 ? codec::StaleNaN() : i));
  }
  ASSERT_TRUE(h.Append(sparse, 100'000, 1));  // only one sample, long before the cut
  auto is_short = [&](const MemSeries& s) { return s.labels() != read; };
  const TimestampMs min_t = 50'000, short_min_t = 200'500;
  h.Truncate(min_t, short_min_t, is_short, [](const MemSeries&) {});
  auto points = [&](const labels::Labels& l) {
    for (const MemSeries* s : h.Select({})) {
      if (s->labels() == l) return Points(*s);
    }
    return std::vector<Point>{};
  };
  std::vector<Point> p = points(unread);
  ASSERT_EQ(p.size(), 2u * kSamplesPerChunk - 200);  // 200 s, and 201 s on
  EXPECT_EQ(p.front().t, 200'000);
  EXPECT_EQ(points(read).size(), 2u * kSamplesPerChunk - 50);
  p = points(stale);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front().t, 200'000);
  EXPECT_TRUE(codec::IsStaleNaN(p.front().v));
  p = points(sparse);
  ASSERT_EQ(p.size(), 1u);  // its newest sample, however old (min_t permitting)
  EXPECT_EQ(p[0].t, 100'000);
  // Past min_t even the newest sample goes, and the series with it.
  h.Truncate(150'000, 300'000, is_short, [](const MemSeries&) {});
  EXPECT_TRUE(points(sparse).empty());
  EXPECT_EQ(points(unread).size(), 1u);
  EXPECT_EQ(points(read).size(), 2u * kSamplesPerChunk - 150);
}

// History read back for a series the head held only the newest samples of: the older
// points go in front, the held ones stay, and what readers see is the whole series, as if
// it had been appended in order.
TEST(HeadTest, InsertOlderPutsHistoryInFrontOfWhatIsHeld) {
  labels::Labels a({{"__name__", "c"}, {"job", "a"}});
  auto m = labels::Matcher::Create(labels::MatchType::kEqual, "job", "a");
  std::vector<Point> all;
  for (TimestampMs t = 1000; t <= 400'000; t += 1000) all.push_back({t, t / 1000 * 1.5});
  all[200].v = codec::StaleNaN();
  Head whole, h;
  for (const Point& p : all) whole.Append(a, p.t, p.v);
  for (const Point& p : all) {
    if (p.t >= 390'000) h.Append(a, p.t, p.v);
  }
  const MemSeries* before = h.SelectSorted({*m}).series[0];
  before->Window(300'000, 399'000);  // a window state that must not survive

  // The reporter's copy overlaps what the head holds and has one point out of order.
  std::vector<Point> history(all.begin(), all.begin() + 395);
  history.insert(history.begin() + 10, Point{5000, 1});
  EXPECT_EQ(h.InsertOlder(a, history), 389u);
  EXPECT_EQ(h.num_samples(), all.size());
  EXPECT_EQ(h.num_series(), 1u);
  const auto& after = h.SelectSorted({*m}).series;
  ASSERT_EQ(after.size(), 1u);
  const std::vector<Point> got = Points(*after[0]);
  ASSERT_EQ(got.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(got[i].t, all[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(all[i].v));
  }
  const WindowSummary want = whole.Select({*m})[0]->Window(300'000, 399'000);
  const WindowSummary have = after[0]->Window(300'000, 399'000);
  EXPECT_EQ(have.count, want.count);
  EXPECT_EQ(have.first.t, want.first.t);
  EXPECT_EQ(have.last.t, want.last.t);

  // Nothing older to add: nothing changes. An unknown series is created.
  const MemSeries* merged = after[0];
  EXPECT_EQ(h.InsertOlder(a, std::vector<Point>{{1000, 9}, {390'000, 9}}), 0u);
  EXPECT_EQ(h.SelectSorted({*m}).series[0], merged);
  EXPECT_EQ(h.num_samples(), all.size());
  labels::Labels b({{"__name__", "c"}, {"job", "b"}});
  EXPECT_EQ(h.InsertOlder(b, std::vector<Point>{{1000, 1}, {2000, 2}}), 2u);
  EXPECT_EQ(h.num_series(), 2u);
}

// Remembered selections follow series as they are created, dropped by truncation and
// replaced by InsertOlder, in any order (a dropped series' address may be reused by the
// next one created): always what selecting and sorting afresh gives.
// `max_changes` bounds the log they catch up from: small, the log starts over often and
// selections further behind are made again.
void CheckSelectionsFollowChanges(size_t max_changes) {
  Head h(nullptr, ValueCodings::kXorOrDecimal, max_changes);
  std::mt19937 rng(7);
  std::vector<std::vector<labels::Matcher>> selectors;
  for (const char* re : {"a.*", "b.*", ".*1", ".*"}) {
    selectors.push_back({*labels::Matcher::Create(labels::MatchType::kRegex, "job", re)});
  }
  // Each version a selection had, and the label sets of its series then (a dropped
  // series' address may be reused by another): a version names one list.
  std::map<uint64_t, std::vector<labels::Labels>> versions;
  auto check = [&](int step) {
    for (const auto& sel : selectors) {
      std::vector<const MemSeries*> want = h.Select(sel);
      std::sort(want.begin(), want.end(),
                [](const MemSeries* a, const MemSeries* b) { return a->labels() < b->labels(); });
      const Head::Selection& got = h.SelectSorted(sel);
      ASSERT_EQ(got.series, want) << "step " << step << " " << sel[0].ToString();
      ASSERT_EQ(got.key, labels::MatchersKey(sel));
      std::vector<labels::Labels> named;
      for (const MemSeries* s : got.series) named.push_back(s->labels());
      auto [it, first] = versions.try_emplace(got.version, named);
      ASSERT_EQ(it->second, named)
          << "step " << step << ": version " << got.version << " named another list before";
    }
  };
  TimestampMs t = 1000;
  for (int step = 0; step < 400; ++step) {
    t += 1000;
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {  // a few series get a sample; some are new
      for (int k = 0; k < 1 + static_cast<int>(rng() % 5); ++k) {
        std::string job = std::string(1, "abc"[rng() % 3]) + std::to_string(rng() % 40);
        h.Append(labels::Labels({{"__name__", "x"}, {"job", job}}), t, 1);
      }
    } else if (op < 9) {  // the ones without a recent sample go
      h.Truncate(t - 1000 * static_cast<TimestampMs>(rng() % 20));
    } else {  // history for one of them, old or new
      std::string job = std::string(1, "abc"[rng() % 3]) + std::to_string(rng() % 40);
      std::vector<Point> history{{t - 500'000, 1}};
      h.InsertOlder(labels::Labels({{"__name__", "x"}, {"job", job}}), history);
    }
    // Not every selector is asked for at every step: some catch up over many changes.
    if (step % 3 == 0 || step > 390) ASSERT_NO_FATAL_FAILURE(check(step));
  }
}

TEST(HeadTest, RememberedSelectionsFollowCreatedAndDroppedSeries) {
  CheckSelectionsFollowChanges(Head::kMaxChanges);
  CheckSelectionsFollowChanges(8);
}

// A selection keeps its version while its series stay (other series coming and going
// included) and gets a new one when they change; no two heads share a version.
TEST(HeadTest, ASelectionsVersionChangesWithItsSeries) {
  auto a = *labels::Matcher::Create(labels::MatchType::kEqual, "job", "a");
  Head h, other;
  h.Append(labels::Labels({{"job", "a"}, {"i", "1"}}), 1000, 1);
  other.Append(labels::Labels({{"job", "a"}, {"i", "1"}}), 1000, 1);
  const uint64_t v1 = h.SelectSorted({a}).version;
  EXPECT_NE(other.SelectSorted({a}).version, v1);
  EXPECT_EQ(h.SelectSorted({a}).version, v1);
  h.Append(labels::Labels({{"job", "a"}, {"i", "1"}}), 2000, 1);  // samples: the same series
  h.Append(labels::Labels({{"job", "b"}}), 2000, 1);              // another selection's
  EXPECT_EQ(h.SelectSorted({a}).version, v1);
  h.Append(labels::Labels({{"job", "a"}, {"i", "1"}}), 4000, 1);
  h.Append(labels::Labels({{"job", "a"}, {"i", "2"}}), 3000, 1);
  h.Append(labels::Labels({{"job", "a"}, {"i", "2"}}), 5000, 1);
  const uint64_t v2 = h.SelectSorted({a}).version;
  EXPECT_NE(v2, v1);
  h.Truncate(2500);  // drops {job="b"} (not selected) and keeps both selected series
  EXPECT_EQ(h.num_series(), 2u);
  EXPECT_EQ(h.SelectSorted({a}).version, v2);
  h.Truncate(4500);  // drops {i="1"}
  const uint64_t v3 = h.SelectSorted({a}).version;
  EXPECT_NE(v3, v2);
  EXPECT_EQ(h.SelectSorted({a}).series.size(), 1u);
  // One series goes and another comes between two selections: the size stays, the
  // version does not.
  h.Append(labels::Labels({{"job", "a"}, {"i", "3"}}), 6000, 1);
  h.Truncate(5500);  // drops {i="2"}
  EXPECT_EQ(h.SelectSorted({a}).series.size(), 1u);
  EXPECT_NE(h.SelectSorted({a}).version, v3);
}

// Selections one change inside the log, at its start and one change past it (the log
// starts over every 4 changes here): each is what selecting afresh gives.
TEST(HeadTest, RememberedSelectionsAtTheEdgeOfTheLog) {
  auto m = *labels::Matcher::Create(labels::MatchType::kRegex, "job", ".*");
  for (int k = 1; k <= 9; ++k) {
    Head h(nullptr, ValueCodings::kXorOrDecimal, 4);
    auto series = [](int i) { return labels::Labels({{"job", std::to_string(i)}}); };
    h.Append(series(100), 1000, 1);
    h.Append(series(101), 1000, 1);
    ASSERT_EQ(h.SelectSorted({m}).series.size(), 2u);
    for (int i = 0; i < k; ++i) h.Append(series(i), 2000, 1);
    if (k % 2) h.Truncate(1500);  // and both old ones dropped
    std::vector<const MemSeries*> want = h.Select({m});
    std::sort(want.begin(), want.end(),
              [](const MemSeries* a, const MemSeries* b) { return a->labels() < b->labels(); });
    EXPECT_EQ(h.SelectSorted({m}).series, want) << k << " changes";
  }
}

// The head's generation moves with every change a reader may see, and only then.
TEST(HeadTest, GenerationMovesWithWhatReadersSee) {
  Head h;
  labels::Labels a({{"__name__", "a"}});
  uint64_t g = h.generation();
  EXPECT_NE(g, 0u);
  ASSERT_TRUE(h.Append(a, 1000, 1));
  EXPECT_NE(h.generation(), g);
  g = h.generation();
  EXPECT_FALSE(h.Append(a, 1000, 2));  // refused: a duplicate timestamp
  EXPECT_EQ(h.generation(), g);
  std::vector<Point> none{{5000, 1}};  // not older than what the series holds
  EXPECT_EQ(h.InsertOlder(a, none), 0u);
  EXPECT_EQ(h.generation(), g);
  std::vector<Point> older{{500, 1}};
  EXPECT_EQ(h.InsertOlder(a, older), 1u);
  EXPECT_NE(h.generation(), g);
  g = h.generation();
  h.Truncate(800);
  EXPECT_NE(h.generation(), g);
}

TEST(HeadTest, TruncateFreesWholeChunksAndEmptySeries) {
  Head h;
  labels::Labels a({{"__name__", "c"}});
  for (int i = 0; i < 10 * kSamplesPerChunk; ++i) ASSERT_TRUE(h.Append(a, i * 1000, i));
  size_t full = h.memory_bytes();
  h.Truncate(5 * kSamplesPerChunk * 1000 + 1);
  EXPECT_EQ(h.num_samples(), 5u * kSamplesPerChunk - 1);
  EXPECT_LT(h.memory_bytes(), full);
  // A sample older than the hidden ones is still out of order.
  EXPECT_FALSE(h.Append(a, 0, 1));
  h.Truncate(10 * kSamplesPerChunk * 1000);
  EXPECT_EQ(h.num_series(), 0u);
  EXPECT_EQ(h.num_samples(), 0u);
  // A series truncated away starts afresh.
  EXPECT_TRUE(h.Append(a, 5, 1));
  EXPECT_EQ(h.num_series(), 1u);
}

TEST(HeadTest, SeriesSharingAnIndexKeyAreKeptApart) {
  Head h([](const labels::Labels&) { return uint64_t{42}; });
  std::vector<labels::Labels> ls;
  for (int i = 0; i < 5; ++i)
    ls.push_back(labels::Labels({{"__name__", "x"}, {"i", std::to_string(i)}}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Append(ls[i], 1000 * (i + 1), i));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(h.Append(ls[i], 1000 * (i + 1), i));
  EXPECT_EQ(h.num_series(), 5u);
  EXPECT_EQ(h.Select({}).size(), 5u);
  // Drops the first three series; series 3 keeps its newer sample.
  ASSERT_TRUE(h.Append(ls[3], 9000, 3));
  h.Truncate(4500);
  EXPECT_EQ(h.num_series(), 2u);
  EXPECT_EQ(h.num_samples(), 2u);
  auto m = labels::Matcher::Create(labels::MatchType::kEqual, "i", "3");
  auto sel = h.Select({*m});
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(Points(*sel[0]).size(), 1u);
  EXPECT_EQ(Points(*sel[0])[0].t, 9000);
  h.Truncate(10'000);
  EXPECT_EQ(h.num_series(), 0u);
  EXPECT_TRUE(h.Select({}).empty());
}

TEST(HeadTest, MemoryIsFarBelowPlainPoints) {
  Head h;
  for (int s = 0; s < 100; ++s) {
    labels::Labels l({{"__name__", "requests_total"}, {"instance", std::to_string(s)}});
    for (int i = 0; i < 600; ++i) ASSERT_TRUE(h.Append(l, i * 1000, i * 3));
  }
  // Plain points would take 16 bytes each; a counter at a steady interval far less.
  EXPECT_LT(h.memory_bytes(), h.num_samples() * 16 / 4);
  EXPECT_GT(h.memory_bytes(), 0u);
}

// The decimal coding at work in a series: a counter growing by irregular small steps and
// sampled at 1 s takes far less than in XOR alone, and decodes the same.
TEST(HeadTest, IntegerSeriesTakeLessMemoryInTheDecimalCoding) {
  std::mt19937_64 rng(5);
  MemSeries decimal(labels::Labels({{"__name__", "x"}}));
  MemSeries xor_only(labels::Labels({{"__name__", "x"}}), ValueCodings::kXorOnly);
  double v = 1e6;
  for (int i = 0; i < 480; ++i) {
    v += static_cast<double>(rng() % 30);
    ASSERT_TRUE(decimal.Append(1'700'000'000'000 + i * 1000, v));
    ASSERT_TRUE(xor_only.Append(1'700'000'000'000 + i * 1000, v));
  }
  auto a = Points(decimal), b = Points(xor_only);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].t, b[i].t);
    ASSERT_EQ(std::bit_cast<uint64_t>(a[i].v), std::bit_cast<uint64_t>(b[i].v));
  }
  // Steps of 0..29: residuals from their mean within +-15, Rice coded in 5-6 bits, and
  // one bit of time: about 7 bits a sample. XOR spends ~15 (the steps move 6-10 low bits
  // of a mantissa near 2^20): at least 6 bits a sample more.
  EXPECT_GT(xor_only.MemoryBytes(), decimal.MemoryBytes() + 480 * 6 / 8)
      << decimal.MemoryBytes() << " vs " << xor_only.MemoryBytes();
}

// Truncation that hides a quarter of a closed first chunk or more frees those bytes: the
// visible rest is re-encoded alone. Readers and window states see the same samples.
TEST(HeadTest, HiddenSamplesOfTheFirstChunkAreFreed) {
  std::mt19937_64 rng(3);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  double v = 0;
  for (int i = 0; i < 360; ++i) {
    v += static_cast<double>(rng() % 1000) / 7;  // full-precision floats: ~7 B a sample
    ASSERT_TRUE(s.Append(i * 1000, v));
  }
  WindowSummary before = s.Window(60'000, 200'000);
  auto all = Points(s);
  size_t bytes = s.MemoryBytes();
  // 29 hidden: below the threshold, nothing freed.
  s.Truncate(29'000);
  EXPECT_EQ(s.MemoryBytes(), bytes);
  // 90 hidden: three quarters of the first chunk's bytes go.
  s.Truncate(90'000);
  EXPECT_LT(s.MemoryBytes() + 90 * 5, bytes) << s.MemoryBytes() << " vs " << bytes;
  auto rest = Points(s);
  ASSERT_EQ(rest.size(), all.size() - 90);
  for (size_t i = 0; i < rest.size(); ++i) {
    ASSERT_EQ(rest[i].t, all[i + 90].t);
    ASSERT_EQ(std::bit_cast<uint64_t>(rest[i].v), std::bit_cast<uint64_t>(all[i + 90].v));
  }
  // The window state kept its place: moving it on gives what decoding gives.
  WindowSummary after = s.Window(60'000, 200'000);
  EXPECT_EQ(after.count, before.count);
  EXPECT_EQ(after.first.t, before.first.t);
  WindowSummary later = s.Window(60'000, 250'000);
  std::vector<Point> want;
  s.Decode(190'000, 250'000, &want);
  ASSERT_EQ(later.count, want.size());
  EXPECT_EQ(later.first.t, want.front().t);
  EXPECT_EQ(std::bit_cast<uint64_t>(later.last.v), std::bit_cast<uint64_t>(want.back().v));
  // Hiding more of the new first chunk keeps working.
  s.Truncate(150'000);
  EXPECT_EQ(Points(s).size(), all.size() - 150);
  EXPECT_EQ(Points(s).front().t, 150'000);
}

// A series scraped slowly keeps its retention in its open chunk: the samples truncation
// hides there are freed too (the chunk re-encoded, later samples appended to it), and an
// older min_t never shows hidden samples again.
TEST(HeadTest, HiddenSamplesOfAnOpenFirstChunkAreFreedAndStayHidden) {
  std::mt19937_64 rng(5);
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  std::vector<Point> all;
  double v = 0;
  auto append = [&](int i) {
    v += static_cast<double>(rng() % 1000) / 7;
    ASSERT_TRUE(s.Append(i * 15'000, v));
    all.push_back({i * 15'000, v});
  };
  for (int i = 0; i < 100; ++i) append(i);  // one open chunk
  const WindowSummary before = s.Window(600'000, 99 * 15'000);
  const size_t bytes = s.MemoryBytes();
  s.Truncate(40 * 15'000);  // 40 hidden: compacted
  EXPECT_LT(s.MemoryBytes() + 40 * 5, bytes) << s.MemoryBytes() << " vs " << bytes;
  EXPECT_EQ(s.num_samples(), 60u);
  s.Truncate(10 * 15'000);
  EXPECT_EQ(s.num_samples(), 60u);
  EXPECT_EQ(Points(s).front().t, 40 * 15'000);
  // The window state moved with the chunk's bytes.
  const WindowSummary after = s.Window(600'000, 99 * 15'000);
  EXPECT_EQ(after.count, before.count);
  EXPECT_EQ(after.first.t, before.first.t);
  EXPECT_EQ(std::bit_cast<uint64_t>(after.last.v), std::bit_cast<uint64_t>(before.last.v));
  // Appending goes on in the re-encoded chunk, and it closes at kSamplesPerChunk.
  for (int i = 100; i < 300; ++i) append(i);
  s.Truncate(120 * 15'000);
  auto rest = Points(s);
  ASSERT_EQ(rest.size(), all.size() - 120);
  for (size_t i = 0; i < rest.size(); ++i) {
    ASSERT_EQ(rest[i].t, all[i + 120].t);
    ASSERT_EQ(std::bit_cast<uint64_t>(rest[i].v), std::bit_cast<uint64_t>(all[i + 120].v));
  }
  const WindowSummary later = s.Window(600'000, 299 * 15'000);
  std::vector<Point> want;
  s.Decode(299 * 15'000 - 600'000, 299 * 15'000, &want);
  ASSERT_EQ(later.count, want.size());
  EXPECT_EQ(later.first.t, want.front().t);
}

// A gap longer than a chunk holds (about 49.7 days) starts a new chunk; the samples on
// both sides read back, by decoding and through a window state.
TEST(HeadTest, AGapLongerThanAChunkHoldsStartsANewChunk) {
  MemSeries s(labels::Labels({{"__name__", "x"}}));
  const int64_t later = 60 * 86'400'000LL;  // 60 days
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Append(i * 1000, i));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Append(later + i * 1000, 100 + i));
  auto all = Points(s);
  ASSERT_EQ(all.size(), 20u);
  EXPECT_EQ(all[9].t, 9000);
  EXPECT_EQ(all[10].t, later);
  EXPECT_EQ(all[19].v, 109);
  const WindowSummary w = s.Window(later + 9000, later + 9000);
  EXPECT_EQ(w.count, 20u);
  EXPECT_EQ(w.first.t, 0);
  EXPECT_EQ(w.last.v, 109);
}

// The head's bytes by part: each part moves when what it counts moves, and the parts add
// up to memory_bytes().
TEST(HeadTest, MemoryPartsFollowWhatTheyCount) {
  Head head;
  labels::Labels a({{"__name__", "requests_total"}, {"instance", "a:9100"}});
  const Head::Bytes empty = head.memory_parts();
  EXPECT_EQ(empty.series.total(), 0u);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(head.Append(a, i * 1000, i * 3));
  const Head::Bytes open = head.memory_parts();
  EXPECT_GT(open.series.object, 0u);
  EXPECT_GT(open.series.labels, 0u);
  EXPECT_GT(open.series.open_chunk, 0u);
  EXPECT_EQ(open.series.closed_chunks, 0u);
  EXPECT_EQ(open.series.windows, 0u);
  EXPECT_GT(open.index, 0u);
  for (int i = 60; i < 200; ++i) ASSERT_TRUE(head.Append(a, i * 1000, i * 3));
  const Head::Bytes closed = head.memory_parts();
  EXPECT_GT(closed.series.closed_chunks, 0u);  // 120 samples closed a chunk
  EXPECT_EQ(closed.series.windows, 0u);
  head.Select({})[0]->Window(60'000, 199'000);
  const Head::Bytes windowed = head.memory_parts();
  EXPECT_GT(windowed.series.windows, 0u);
  EXPECT_EQ(windowed.series.closed_chunks, closed.series.closed_chunks);
  EXPECT_EQ(windowed.total(), head.memory_bytes());
  EXPECT_EQ(windowed.total(), windowed.series.total() + windowed.index + windowed.selections);
  size_t named = 0, parts = 0;
  windowed.ForEachPart([&](const char*, size_t bytes) {
    named += bytes;
    ++parts;
  });
  EXPECT_EQ(named, windowed.total());
  EXPECT_EQ(parts, 7u);
}

}  // namespace
}  // namespace vigil::tsdb
