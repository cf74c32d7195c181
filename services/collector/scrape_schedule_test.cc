// The scrape schedule and scrape timestamps: a fixed grid of ticks from the first scrape,
// and timestamps aligned to it within 2 ms, as Prometheus 2.42's scrapeLoop.run. Time is
// given to the manager, to the microsecond: no clock, no sleeps.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "services/collector/scrape_manager.h"

namespace vigil::collector {
namespace {

promconfig::PrometheusConfig Config(const std::string& interval) {
  auto cfg = promconfig::ParsePrometheusConfig(
      "p.yml",
      StrCat("scrape_configs:\n  - job_name: app\n    scrape_interval: ", interval,
             "\n    scrape_timeout: ", interval, "\n    static_configs: [{targets: ['h:1']}]\n"));
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

absl::Time At(TimestampMs ms, absl::Duration late = absl::ZeroDuration()) {
  return FromMs(ms) + late;
}

// A manager with one target of `interval`, and the target's first due time.
struct OneTarget {
  explicit OneTarget(const std::string& interval, bool adjust = true) {
    m.SetAdjustTimestamps(adjust);
    m.ApplyConfig(Config(interval), 1'700'000'000'000);
    first = *m.NextDeadline();
  }

  // Starts the target's scrape at `now` (it must be due) and completes it; returns the
  // timestamp of its samples, which must all carry the same one.
  TimestampMs Scrape(absl::Time now) {
    std::vector<ScrapeRequest> due = m.TakeDue(now);
    EXPECT_EQ(due.size(), 1u) << "not due at " << now;
    if (due.empty()) return -1;
    const v1::SampleBatch* batch =
        m.OnScrapeDone(due[0].target_key, due[0].timestamp_ms, {"a 1\nb 2\n", "", 0.001});
    std::set<TimestampMs> times;
    auto decoded = codec::DecodeSampleBatch(*batch);
    EXPECT_TRUE(decoded.ok());
    for (const auto& s : *decoded) {
      for (const auto& p : s.points) times.insert(p.t);
    }
    EXPECT_EQ(times, std::set<TimestampMs>{due[0].timestamp_ms});
    return due[0].timestamp_ms;
  }

  ScrapeManager m;
  TimestampMs first = 0;
};

TEST(ScrapeScheduleTest, ScrapesWithin2msOfTheGridAreStampedWithIt) {
  OneTarget t("1s");
  // The first scrape starts the grid (Prometheus: alignedScrapeTime := time.Now()).
  EXPECT_EQ(t.Scrape(At(t.first, absl::Microseconds(300))), t.first);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 1000);
  EXPECT_EQ(t.Scrape(At(t.first + 1000, absl::Microseconds(1))), t.first + 1000);
  EXPECT_EQ(t.Scrape(At(t.first + 2000, absl::Milliseconds(2))), t.first + 2000);  // <= 2 ms
  // Beyond the tolerance: the scrape's own time, in whole milliseconds.
  EXPECT_EQ(t.Scrape(At(t.first + 3000, absl::Microseconds(2001))), t.first + 3002);
  EXPECT_EQ(t.Scrape(At(t.first + 4000, absl::Microseconds(7500))), t.first + 4007);
  // The grid does not move with late starts.
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 5000);
  EXPECT_EQ(t.Scrape(At(t.first + 5000, absl::Microseconds(1999))), t.first + 5000);
}

TEST(ScrapeScheduleTest, LateStartsDoNotDriftTheSchedule) {
  // Before: next = start + interval, so 1-2 ms late every scrape accumulated, and the
  // timestamps' deltas were never exactly the interval.
  OneTarget t("1s");
  t.Scrape(At(t.first));
  for (int k = 1; k <= 50; ++k) {
    TimestampMs due = *t.m.NextDeadline();
    ASSERT_EQ(due, t.first + k * 1000);
    EXPECT_EQ(t.Scrape(At(due, absl::Microseconds(500 + 1400 * (k % 2)))), due);
  }
}

TEST(ScrapeScheduleTest, SkippedTicksRealign) {
  OneTarget t("1s");
  t.Scrape(At(t.first));
  // Three ticks missed (a stalled loop): the next scrape aligns to the latest tick.
  EXPECT_EQ(t.Scrape(At(t.first + 4000, absl::Milliseconds(1))), t.first + 4000);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 5000);

  // A scrape still in flight at a tick: Go's ticker keeps that tick and drops later
  // ones, so the next scrape starts as soon as this one ends, unaligned, then the grid
  // goes on.
  std::vector<ScrapeRequest> due = t.m.TakeDue(At(t.first + 5000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].timestamp_ms, t.first + 5000);
  EXPECT_TRUE(t.m.TakeDue(At(t.first + 6000, absl::Milliseconds(1))).empty());  // in flight
  t.m.OnScrapeDone(due[0].target_key, due[0].timestamp_ms, {"a 1\n", "", 1.3});
  EXPECT_EQ(t.Scrape(At(t.first + 6300)), t.first + 6300);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 7000);
  EXPECT_EQ(t.Scrape(At(t.first + 7000, absl::Microseconds(1500))), t.first + 7000);
}

TEST(ScrapeScheduleTest, IntervalsOf200msOrLessAreNeverAligned) {
  OneTarget t("200ms");
  EXPECT_EQ(t.Scrape(At(t.first, absl::Microseconds(300))), t.first);
  EXPECT_EQ(t.Scrape(At(t.first + 200, absl::Milliseconds(1))), t.first + 201);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 400);  // still on the grid
  EXPECT_EQ(t.Scrape(At(t.first + 400, absl::Milliseconds(2))), t.first + 402);

  OneTarget above("201ms");
  above.Scrape(At(above.first));
  EXPECT_EQ(above.Scrape(At(above.first + 201, absl::Milliseconds(1))), above.first + 201);
}

TEST(ScrapeScheduleTest, AdjustTimestampsOffStampsTheStartButKeepsTheGrid) {
  OneTarget t("1s", /*adjust=*/false);
  EXPECT_EQ(t.Scrape(At(t.first, absl::Microseconds(300))), t.first);
  EXPECT_EQ(t.Scrape(At(t.first + 1000, absl::Milliseconds(1))), t.first + 1001);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 2000);
  EXPECT_EQ(t.Scrape(At(t.first + 2000, absl::Microseconds(1999))), t.first + 2001);
}

TEST(ScrapeScheduleTest, AScrapeNowIsStampedWithItsTimeAndTheGridGoesOn) {
  OneTarget t("10s");
  t.Scrape(At(t.first));
  ASSERT_EQ(t.m.ScheduleNow("app", "", t.first + 4321), 1);
  EXPECT_EQ(t.Scrape(At(t.first + 4321)), t.first + 4321);
  EXPECT_EQ(*t.m.NextDeadline(), t.first + 10'000);
  EXPECT_EQ(t.Scrape(At(t.first + 10'000, absl::Milliseconds(1))), t.first + 10'000);
}

TEST(ScrapeScheduleTest, ScrapeTimestampIsPrometheusAlignment) {
  TimestampMs aligned = 1000;
  const absl::Duration second = absl::Seconds(1);
  EXPECT_EQ(ScrapeTimestamp(At(1000), second, true, &aligned), 1000);
  EXPECT_EQ(ScrapeTimestamp(At(1999, absl::Microseconds(999)), second, true, &aligned), 1999);
  EXPECT_EQ(aligned, 1000);  // less than an interval past it
  EXPECT_EQ(ScrapeTimestamp(At(2000), second, true, &aligned), 2000);
  EXPECT_EQ(aligned, 2000);
  EXPECT_EQ(ScrapeTimestamp(At(9002), second, true, &aligned), 9000);
  EXPECT_EQ(aligned, 9000);
  EXPECT_EQ(ScrapeTimestamp(At(10'002, absl::Nanoseconds(1)), second, true, &aligned), 10'002);
  EXPECT_EQ(aligned, 10'000);
  EXPECT_EQ(ScrapeTimestamp(At(11'001), second, false, &aligned), 11'001);
  EXPECT_EQ(aligned, 10'000);  // not moved when off, as in Prometheus
}

}  // namespace
}  // namespace vigil::collector
