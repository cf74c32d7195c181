#include "services/notifier/rfc3339.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

#include "absl/time/time.h"

namespace vigil::notifier {
namespace {

// What absl::FormatTime writes, which FormatGoTime and FormatApiTime wrote before they
// formatted by hand.
std::string AbslFormat(TimestampMs ms, const char* format) {
  return absl::FormatTime(format, absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

TEST(Rfc3339Test, FormatsAsGoAndAlertmanagerWrite) {
  EXPECT_EQ(FormatGoTime(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatApiTime(0), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatGoTime(1'767'366'245'250), "2026-01-02T15:04:05.25Z");
  EXPECT_EQ(FormatApiTime(1'767'366'245'250), "2026-01-02T15:04:05.250Z");
  EXPECT_EQ(FormatGoTime(1'767'366'245'000), "2026-01-02T15:04:05Z");
  EXPECT_EQ(FormatGoTime(1'767'366'245'007), "2026-01-02T15:04:05.007Z");
  EXPECT_EQ(FormatGoTime(-1), "1969-12-31T23:59:59.999Z");
  // Go pads the year to four digits; absl::FormatTime does not ("1-01-01...").
  EXPECT_EQ(FormatGoTime(-62'135'596'800'000 + 1), "0001-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatApiTime(-61'000'000'000'000), "0036-12-26T11:33:20.000Z");
}

// The extremes ("infinite-past" parses to INT64_MIN) go to absl without arithmetic that
// would overflow (UBSan would abort).
TEST(Rfc3339Test, TheExtremesAreFormattedAsAbsl) {
  for (TimestampMs ms : {std::numeric_limits<TimestampMs>::min(),
                         std::numeric_limits<TimestampMs>::min() + 1,
                         std::numeric_limits<TimestampMs>::max()}) {
    EXPECT_EQ(FormatGoTime(ms), AbslFormat(ms, "%Y-%m-%dT%H:%M:%E*SZ")) << ms;
    EXPECT_EQ(FormatApiTime(ms), AbslFormat(ms, "%Y-%m-%dT%H:%M:%E3SZ")) << ms;
  }
}

TEST(Rfc3339Test, EveryDayOfFourHundredYearsAndTheEdgesAsAbsl) {
  std::vector<TimestampMs> times = {1, -1, 951'782'400'000 /* 2000-02-29 */,
                                    -2'203'891'200'000 /* 1900-03-01 */,
                                    253'402'300'799'999 /* 9999-12-31T23:59:59.999 */,
                                    253'402'300'800'000 /* 10000-01-01 */,
                                    -62'135'596'800'001 /* year 0 */};
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<TimestampMs> ms_of_day(0, 86'399'999);
  for (int64_t day = -146'097; day <= 146'097; ++day) {  // 1570 to 2370, every day
    times.push_back(day * 86'400'000 + ms_of_day(rng));
    times.push_back(day * 86'400'000);
  }
  for (TimestampMs ms : times) {
    if (ms == 0) continue;
    ASSERT_EQ(FormatGoTime(ms), AbslFormat(ms, "%Y-%m-%dT%H:%M:%E*SZ")) << ms;
    ASSERT_EQ(FormatApiTime(ms), AbslFormat(ms, "%Y-%m-%dT%H:%M:%E3SZ")) << ms;
  }
}

TEST(Rfc3339Test, ParsesRfc3339AndRefusesAbslsInfinities) {
  EXPECT_EQ(*ParseRfc3339("2026-01-02T15:04:05.25Z"), 1'767'366'245'250);
  EXPECT_EQ(*ParseRfc3339("2026-01-02T16:04:05.25+01:00"), 1'767'366'245'250);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00Z"), 0);
  for (const char* bad : {"infinite-past", "infinite-future", "2026-01-02", ""}) {
    auto parsed = ParseRfc3339(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(std::string(parsed.status().message()), ::testing::HasSubstr("invalid RFC3339"));
  }
}

}  // namespace
}  // namespace vigil::notifier
