#include "lib/config/duration.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(*ParseDuration("5m"), absl::Minutes(5));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("1m500ms"), absl::Milliseconds(60500));
  EXPECT_EQ(*ParseDuration("0s"), absl::ZeroDuration());
  EXPECT_EQ(*ParseDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseDuration("2d"), absl::Hours(48));
}

TEST(DurationTest, RejectsBadDurations) {
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("1.5m").ok());
  EXPECT_FALSE(ParseDuration("30s1m").ok());  // units out of order
  EXPECT_FALSE(ParseDuration("5x").ok());
  EXPECT_FALSE(ParseDuration("-5m").ok());
}

TEST(DurationTest, FormatsLikePrometheus) {
  EXPECT_EQ(FormatPromDuration(absl::Minutes(90)), "1h30m");
  EXPECT_EQ(FormatPromDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatPromDuration(absl::Milliseconds(1500)), "1s500ms");
}

}  // namespace
}  // namespace vigil::config
