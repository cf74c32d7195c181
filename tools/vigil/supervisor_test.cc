#include "tools/vigil/supervisor.h"

#include <gtest/gtest.h>

namespace vigil::cli {
namespace {

using absl::Milliseconds;
using absl::Seconds;
using State = Supervisor::State;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

Supervisor::Options Opts() {
  Supervisor::Options o;
  o.initial_backoff = Milliseconds(500);
  o.max_backoff = Seconds(4);
  o.reset_after = Seconds(30);
  o.stop_grace = Seconds(10);
  return o;
}

TEST(SupervisorTest, StartsEverythingAtOnce) {
  Supervisor sup(3, Opts(), kT0);
  EXPECT_EQ(sup.NextWakeup(), kT0);
  EXPECT_EQ(sup.DueStarts(kT0), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(sup.DueStarts(kT0 + Seconds(1)).empty());  // already running
  EXPECT_EQ(sup.NextWakeup(), absl::InfiniteFuture());
  EXPECT_EQ(sup.state(1), State::kRunning);
}

TEST(SupervisorTest, RestartsAfterExitWithBackoff) {
  Supervisor sup(2, Opts(), kT0);
  sup.DueStarts(kT0);
  absl::Time t = kT0 + Seconds(1);
  EXPECT_EQ(sup.OnExited(1, t), Milliseconds(500));
  EXPECT_EQ(sup.state(1), State::kWaiting);
  EXPECT_EQ(sup.NextWakeup(), t + Milliseconds(500));
  EXPECT_TRUE(sup.DueStarts(t + Milliseconds(499)).empty());
  EXPECT_EQ(sup.DueStarts(t + Milliseconds(500)), std::vector<size_t>{1});
  EXPECT_EQ(sup.restarts(1), 1);
  EXPECT_EQ(sup.restarts(0), 0);
}

TEST(SupervisorTest, BackoffDoublesUpToTheCap) {
  Supervisor sup(1, Opts(), kT0);
  absl::Time t = kT0;
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(sup.DueStarts(t).size(), 1u) << i;
    t += Seconds(1);  // a short run each time: a crash loop
    absl::Duration d = sup.OnExited(0, t);
    delays.push_back(d);
    t += d;
  }
  EXPECT_EQ(delays, (std::vector<absl::Duration>{Milliseconds(500), Seconds(1), Seconds(2),
                                                 Seconds(4), Seconds(4), Seconds(4)}));
  EXPECT_EQ(sup.restarts(0), 5);
}

TEST(SupervisorTest, LongHealthyRunResetsTheBackoff) {
  Supervisor sup(1, Opts(), kT0);
  absl::Time t = kT0;
  for (int i = 0; i < 4; ++i) {  // crash loop: backoff grows to 4s
    sup.DueStarts(t);
    t += sup.OnExited(0, t + Milliseconds(10)) + Milliseconds(10);
  }
  ASSERT_EQ(sup.DueStarts(t).size(), 1u);
  t += Seconds(29);  // not long enough
  EXPECT_EQ(sup.OnExited(0, t), Seconds(4));
  t += Seconds(4);
  ASSERT_EQ(sup.DueStarts(t).size(), 1u);
  t += Seconds(30);  // long enough
  EXPECT_EQ(sup.OnExited(0, t), Milliseconds(500));
}

TEST(SupervisorTest, NoRestartWhileStopping) {
  Supervisor sup(3, Opts(), kT0);
  sup.DueStarts(kT0);
  absl::Time t = kT0 + Seconds(5);
  sup.OnExited(2, t);  // waiting for its restart
  sup.Stop(t);
  EXPECT_TRUE(sup.stopping());
  EXPECT_EQ(sup.state(2), State::kStopped);  // the pending restart is cancelled
  EXPECT_TRUE(sup.DueStarts(t + Seconds(60)).empty());
  EXPECT_EQ(sup.OnExited(0, t + Seconds(1)), absl::InfiniteDuration());
  EXPECT_EQ(sup.state(0), State::kStopped);
  EXPECT_FALSE(sup.Done());  // 1 still runs
  EXPECT_EQ(sup.NextWakeup(), t + Seconds(10));
  EXPECT_FALSE(sup.ShouldKill(t + Seconds(9)));
  EXPECT_TRUE(sup.ShouldKill(t + Seconds(10)));
  sup.OnExited(1, t + Seconds(10));
  EXPECT_TRUE(sup.Done());
  EXPECT_FALSE(sup.ShouldKill(t + Seconds(11)));
  EXPECT_EQ(sup.NextWakeup(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace vigil::cli
