#include "services/notifier/matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::notifier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The matchers as Alertmanager prints them (`amtool config routes` prints the same
// strings for the same entries).
std::vector<std::string> Parsed(std::string_view text) {
  auto ms = ParseMatchers(text);
  EXPECT_TRUE(ms.ok()) << text << ": " << ms.status();
  std::vector<std::string> out;
  if (ms.ok()) {
    for (const labels::Matcher& m : *ms) out.push_back(m.ToString());
  }
  return out;
}

std::string Error(std::string_view text) {
  auto ms = ParseMatchers(text);
  EXPECT_FALSE(ms.ok()) << text;
  return ms.ok() ? "" : std::string(ms.status().message());
}

TEST(MatchersTest, OneMatcherWithEachOperator) {
  EXPECT_THAT(Parsed(R"(severity="P0")"), ElementsAre(R"(severity="P0")"));
  EXPECT_THAT(Parsed(R"( alertname =~ "Foo.*" )"), ElementsAre(R"(alertname=~"Foo.*")"));
  EXPECT_THAT(Parsed("env!=prod"), ElementsAre(R"(env!="prod")"));
  EXPECT_THAT(Parsed(R"(env!~"p.*")"), ElementsAre(R"(env!~"p.*")"));
  EXPECT_THAT(Parsed("job="), ElementsAre(R"(job="")"));
  EXPECT_THAT(Parsed(R"(foo:bar="1")"), ElementsAre(R"(foo:bar="1")"));
  EXPECT_THAT(Parsed("foo=bar="), ElementsAre(R"(foo="bar=")"));
}

TEST(MatchersTest, ListsWithCommasBracesAndQuotes) {
  EXPECT_THAT(Parsed(R"(a="1",b="2")"), ElementsAre(R"(a="1")", R"(b="2")"));
  EXPECT_THAT(Parsed(R"({c=~"x.*", d!="y"})"), ElementsAre(R"(c=~"x.*")", R"(d!="y")"));
  EXPECT_THAT(Parsed("e=1,f=2, "), ElementsAre(R"(e="1")", R"(f="2")"));
  EXPECT_THAT(Parsed(R"({foo = "bar", dings != "bums", })"),
              ElementsAre(R"(foo="bar")", R"(dings!="bums")"));
  // A comma inside quotes is part of the value; so is an escaped quote.
  EXPECT_THAT(Parsed(R"(z="b,c", y="q")"), ElementsAre(R"(z="b,c")", R"(y="q")"));
  EXPECT_THAT(Parsed(R"({quote="She said: \"Hi, ladies!\""})"),
              ElementsAre(R"(quote="She said: \"Hi, ladies!\"")"));
  // One brace is trimmed at each end, not more.
  EXPECT_THAT(Parsed("{foo=bar}}"), ElementsAre(R"(foo="bar}")"));
}

TEST(MatchersTest, EscapesAsAlertmanager) {
  auto ms = ParseMatchers(R"(trickier==\\=\=\")");
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->front().value(), R"(=\=\=")");  // `\=` is a literal backslash and `=`
  ms = ParseMatchers(R"(x="a\tb\nc")");
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->front().value(), "a\\tb\nc");  // only \n, \" and \\ are escapes
  ms = ParseMatchers(R"(x=a\)");
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->front().value(), "a\\");  // a backslash at the end is literal
}

TEST(MatchersTest, ErrorsReadAsAlertmanagers) {
  EXPECT_EQ(Error("a=1,,b=2"), "bad matcher format: ");
  EXPECT_EQ(Error(" , a=1"), "bad matcher format:  ");
  EXPECT_EQ(Error("a-b=1"), "bad matcher format: a-b=1");
  EXPECT_EQ(Error(R"(a="x)"), R"(matcher value contains unescaped double quote: "x)");
  EXPECT_EQ(Error(R"(a=x")"), R"(matcher value contains unescaped double quote: x")");
  EXPECT_EQ(Error(R"(a="1"x")"), R"(matcher value contains unescaped double quote: "1"x")");
  EXPECT_THAT(Error(R"({a=~"["})"), HasSubstr("invalid regular expression"));
  EXPECT_EQ(Error("x"), "bad matcher format: x");
  EXPECT_EQ(Error("=x"), "bad matcher format: =x");
}

TEST(MatchersTest, InvalidUtf8) {
  // One matcher (an API filter) refuses it; a list reads the byte as U+FFFD, as Go's
  // range over a string does.
  auto one = ParseMatcher("a=\xff");
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message(), "matcher value not valid UTF-8: \xff");
  auto list = ParseMatchers("a=\xff");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->front().value(), "\uFFFD");
}

TEST(MatchersTest, OrderIsNameThenValueThenType) {
  auto ms = ParseMatchers(R"(b="1", a=~"z", a!="y", a="y")");
  ASSERT_TRUE(ms.ok()) << ms.status();
  std::sort(ms->begin(), ms->end(), MatcherLess);
  std::vector<std::string> got;
  for (const auto& m : *ms) got.push_back(m.ToString());
  EXPECT_THAT(got, ElementsAre(R"(a="y")", R"(a!="y")", R"(a=~"z")", R"(b="1")"));
}

}  // namespace
}  // namespace vigil::notifier
