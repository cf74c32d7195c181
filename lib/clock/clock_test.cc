#include "lib/clock/clock.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(FromMs(1000));
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(clock.NowMs(), 3000);
  clock.Set(FromMs(5));
  EXPECT_EQ(clock.NowMs(), 5);
}

TEST(SystemClockTest, IsRecent) {
  // 2020-01-01 as a floor: the real clock is not the epoch.
  EXPECT_GT(SystemClock().NowMs(), 1577836800000);
}

}  // namespace
}  // namespace vigil
