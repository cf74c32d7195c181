#include "lib/config/yaml.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

TEST(YamlTest, SyntaxErrorNamesFileLineColumn) {
  auto r = ParseYaml("p.yml", "a: 1\nb: [1, 2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().substr(0, 6), "p.yml:");
  EXPECT_NE(r.status().message().find(":3:"), std::string::npos) << r.status();
}

TEST(YamlTest, MissingFile) {
  auto r = LoadYamlFile("/nonexistent/x.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "/nonexistent/x.yml: cannot open file");
}

TEST(YamlTest, TypedReadersPointAtTheValue) {
  auto n = ParseYaml("c.yml", "interval: 5x\nok: true\n");
  ASSERT_TRUE(n.ok());
  absl::Duration d;
  absl::Status s = ReadDuration("c.yml", *n, "interval", &d);
  EXPECT_EQ(std::string(s.message()), "c.yml:1:11: \"interval\": not a valid duration string: \"5x\"");
  bool b = false;
  EXPECT_TRUE(ReadBool("c.yml", *n, "ok", &b).ok());
  EXPECT_TRUE(b);
  std::string absent = "kept";
  EXPECT_TRUE(ReadString("c.yml", *n, "absent", &absent).ok());
  EXPECT_EQ(absent, "kept");
}

TEST(YamlTest, UnknownKeys) {
  auto n = ParseYaml("c.yml", "a: 1\nbogus: 2\n");
  ASSERT_TRUE(n.ok());
  absl::Status s = CheckKeys("c.yml", *n, {"a"}, "global config");
  EXPECT_EQ(std::string(s.message()), "c.yml:2:1: field bogus not found in global config");
}

}  // namespace
}  // namespace vigil::config
