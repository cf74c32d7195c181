#include "services/reporter/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace vigil::reporter {
namespace {

std::string Error(const std::string& text) {
  auto c = ParseRolloutConfig("rollout.yml", text);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(RolloutConfigTest, ReadsEveryField) {
  auto c = ParseRolloutConfig("rollout.yml", R"(
rollout:
  name: phase5
  start: 2025-10-23T09:00:00Z
  duration: 24h
  checkpoint_interval: 30m
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rollout.name, "phase5");
  ASSERT_TRUE(c->rollout.start.has_value());
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_full, *c->rollout.start, absl::UTCTimeZone()),
            "2025-10-23T09:00:00+00:00");
  EXPECT_EQ(c->rollout.duration, absl::Hours(24));
  EXPECT_EQ(c->rollout.checkpoint_interval, absl::Minutes(30));
}

TEST(RolloutConfigTest, Defaults) {
  auto c = ParseRolloutConfig("rollout.yml", "rollout:\n  name: phase5\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->rollout.start.has_value());
  EXPECT_EQ(c->rollout.duration, absl::Hours(48));
  EXPECT_EQ(c->rollout.checkpoint_interval, absl::Minutes(52));
}

TEST(RolloutConfigTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(Error("rollout:\n  name: x\nalerts: {}\n"),
            "rollout.yml:3:1: field alerts not found in the rollout file");
  EXPECT_EQ(Error("rollout:\n  name: x\n  owner: me\n"),
            "rollout.yml:3:3: field owner not found in rollout");
  EXPECT_EQ(Error("rollout:\n  duration: 1h\n"), "rollout.yml:2:3: rollout: \"name\" is required");
  EXPECT_TRUE(Error("rollout:\n  name: x\n  duration: 2 days\n").starts_with("rollout.yml:3:13: "));
  EXPECT_EQ(Error("rollout:\n  name: x\n  start: yesterday\n").substr(0, 30),
            "rollout.yml:3:10: \"start\": can");
  EXPECT_EQ(Error("rollout:\n  name: x\n  duration: 1h\n  checkpoint_interval: 2h\n"),
            "rollout.yml:4:24: \"checkpoint_interval\" must not exceed \"duration\"");
  EXPECT_EQ(Error("rollout:\n  name: x\n  duration: 0s\n"),
            "rollout.yml:3:13: \"duration\" must be positive");
  EXPECT_EQ(Error("other: 1\n"), "rollout.yml:1:1: field other not found in the rollout file");
  EXPECT_EQ(Error("{}\n"), "rollout.yml:1:1: missing required section \"rollout\"");
  EXPECT_EQ(Error("rollout: [a, b]\n"), "rollout.yml:1:10: rollout must be a mapping");
  EXPECT_TRUE(Error("rollout:\n  name: [unclosed\n").starts_with("rollout.yml:"));
}

TEST(RolloutConfigTest, LoadsFileAndReportsItsPath) {
  std::string path =
      ::testing::TempDir() + "/reporter_config_test_" + std::to_string(getpid()) + ".yml";
  {
    std::ofstream out(path);
    out << "rollout:\n  name: phase5\n  bogus: 1\n";
  }
  auto c = LoadRolloutConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path + ":3:3: field bogus not found in rollout");
  std::remove(path.c_str());
  EXPECT_TRUE(absl::IsNotFound(LoadRolloutConfig(path).status()));
}

}  // namespace
}  // namespace vigil::reporter
