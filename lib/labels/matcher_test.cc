#include "lib/labels/matcher.h"

#include <gtest/gtest.h>

namespace vigil::labels {
namespace {

TEST(MatcherTest, RegexIsFullyAnchored) {
  auto m = Matcher::Create(MatchType::kRegex, "code", "5..");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->MatchesValue("500"));
  EXPECT_FALSE(m->MatchesValue("1500"));
  EXPECT_FALSE(m->MatchesValue("5000"));
}

TEST(MatcherTest, AbsentLabelIsEmpty) {
  auto eq = Matcher::Create(MatchType::kEqual, "x", "");
  ASSERT_TRUE(eq.ok());
  EXPECT_TRUE(eq->Matches(Labels({{"a", "1"}})));
  auto ne = Matcher::Create(MatchType::kNotRegex, "x", ".+");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->Matches(Labels({{"a", "1"}})));
}

TEST(MatcherTest, DotMatchesNewline) {
  auto m = Matcher::Create(MatchType::kRegex, "a", "x.y");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->MatchesValue("x\ny"));
}

TEST(MatcherTest, BadRegexIsAnError) {
  auto m = Matcher::Create(MatchType::kRegex, "a", "(");
  EXPECT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("invalid regular expression"), std::string::npos);
}

TEST(MatcherTest, ToString) {
  auto m = Matcher::Create(MatchType::kNotEqual, "job", "a\"b");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ToString(), "job!=\"a\\\"b\"");
}

}  // namespace
}  // namespace vigil::labels
