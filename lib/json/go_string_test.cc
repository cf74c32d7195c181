#include "lib/json/go_string.h"

#include <gtest/gtest.h>

namespace vigil::json {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendGoJsonString(s, &out);
  return out;
}

// Expectations from Go 1.19's json.Marshal of the same strings.
TEST(GoJsonStringTest, EscapesAsGoEncodingJson) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("plain"), R"("plain")");
  EXPECT_EQ(Quoted("q\"b\\"), R"("q\"b\\")");
  EXPECT_EQ(Quoted("\n\r\t\f\x01\x1f"), R"("\n\r\t\u000c\u0001\u001f")");
  EXPECT_EQ(Quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(Quoted("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(Quoted("\x7f"), "\"\x7f\"");  // DEL is not escaped
  EXPECT_EQ(Quoted("\u2028\u2029 \u00e9 \xF0\x9F\x98\x80"),
            "\"\\u2028\\u2029 \u00e9 \xF0\x9F\x98\x80\"");
}

// json.Encoder with SetEscapeHTML(false): only <, > and & change.
TEST(GoJsonStringTest, WithoutHtmlEscapingKeepsOnlyTheHtmlCharacters) {
  std::string out;
  AppendGoJsonString("<a&b>\u2028\x01\xff\"\n", &out, /*escape_html=*/false);
  EXPECT_EQ(out, R"("<a&b>\u2028\u0001\ufffd\"\n")");
}

TEST(GoJsonStringTest, EachInvalidUtf8ByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(Quoted("a\xff"
                   "b\xC3"),
            R"("a\ufffdb\ufffd")");
  EXPECT_EQ(Quoted("\xC0\xAF"), R"("\ufffd\ufffd")");                      // overlong '/'
  EXPECT_EQ(Quoted("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // a surrogate
  EXPECT_EQ(Quoted("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(Quoted("\xE2\x82"), R"("\ufffd\ufffd")");                      // truncated
  EXPECT_EQ(Quoted("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");                   // the euro sign, whole
}

}  // namespace
}  // namespace vigil::json
