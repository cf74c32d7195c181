#include "services/notifier/json_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace vigil::notifier {
namespace {

// The events as a compact text: {k:v,...} [..] with strings quoted, numbers as written.
class Recorder final : public JsonEvents {
 public:
  std::string out;
  bool Null() override { return Add("null"); }
  bool Boolean(bool b) override { return Add(b ? "true" : "false"); }
  bool Number(std::string_view n) override { return Add(std::string(n)); }
  bool String(std::string& s) override { return Add("\"" + s + "\""); }
  bool Key(std::string& k) override { return Add("\"" + k + "\":"); }
  bool StartObject() override { return Add("{"); }
  bool EndObject() override { return Add("}"); }
  bool StartArray() override { return Add("["); }
  bool EndArray() override { return Add("]"); }

 private:
  bool Add(const std::string& s) {
    if (!out.empty() && out.back() != '{' && out.back() != '[' && out.back() != ':' &&
        s != "}" && s != "]") {
      out += ",";
    }
    out += s;
    return true;
  }
};

// The events of `text`, or "invalid".
std::string Read(std::string_view text) {
  Recorder r;
  return ReadJson(text, &r) ? r.out : "invalid";
}

TEST(JsonReaderTest, ReadsValuesInDocumentOrder) {
  EXPECT_EQ(Read(R"( {"a": [1, -2.5e+3, true, false, null, {}], "b": {"c": "d"}, "e": []} )"),
            R"({"a":[1,-2.5e+3,true,false,null,{}],"b":{"c":"d"},"e":[]})");
  EXPECT_EQ(Read("\"x\""), "\"x\"");
  EXPECT_EQ(Read("0"), "0");
  EXPECT_EQ(Read("[[[]]]"), "[[[]]]");
}

TEST(JsonReaderTest, DecodesStringsAsGoDoes) {
  EXPECT_EQ(Read(R"(["a\"\\\/\b\f\n\r\t"])"), "[\"a\"\\/\b\f\n\r\t\"]");
  EXPECT_EQ(Read(R"(["\u00e9\u20AC"])"), "[\"\xC3\xA9\xE2\x82\xAC\"]");
  EXPECT_EQ(Read(R"(["\ud83d\ude00"])"), "[\"\xF0\x9F\x98\x80\"]");  // a surrogate pair
  // Unpaired surrogates: U+FFFD each, the escape after a lone high one read on its own.
  EXPECT_EQ(Read(R"(["\ud83d"])"), "[\"\xEF\xBF\xBD\"]");
  EXPECT_EQ(Read(R"(["\ude00x"])"), "[\"\xEF\xBF\xBDx\"]");
  EXPECT_EQ(Read(R"(["\ud83d\u0041"])"), "[\"\xEF\xBF\xBD" "A\"]");
  // UTF-8 passes through; invalid bytes (a stray continuation, an overlong form, an
  // encoded surrogate, a cut sequence) become U+FFFD each.
  EXPECT_EQ(Read("[\"h\xC3\xA9llo \xF0\x9F\x98\x80\"]"), "[\"h\xC3\xA9llo \xF0\x9F\x98\x80\"]");
  EXPECT_EQ(Read("[\"a\x80" "b\"]"), "[\"a\xEF\xBF\xBD" "b\"]");
  EXPECT_EQ(Read("[\"\xC0\xAF\"]"), "[\"\xEF\xBF\xBD\xEF\xBF\xBD\"]");
  EXPECT_EQ(Read("[\"\xED\xA0\x80\"]"), "[\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"]");
  EXPECT_EQ(Read("[\"\xE2\x82\"]"), "[\"\xEF\xBF\xBD\xEF\xBF\xBD\"]");
}

TEST(JsonReaderTest, RejectsWhatIsNotJson) {
  for (const char* bad :
       {"", "  ", "[", "]", "{", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}",
        "[1 2]", "01", "1.", ".5", "-", "1e", "1e+", "+1", "tru", "nul", "True", "[1]x", "[] []",
        "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"\\u12\"", "[\"a\nb\"]", "[\"a\tb\"]", "'a'"}) {
    EXPECT_EQ(Read(bad), "invalid") << bad;
  }
}

TEST(JsonReaderTest, NestingIsLimitedAsGoLimitsIt) {
  const std::string deep_ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(Read(deep_ok) != "invalid");
  const std::string too_deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_TRUE(Read(too_deep) == "invalid");
}

class Stopper final : public JsonEvents {
 public:
  int seen = 0;
  bool Null() override { return ++seen < 2; }
  bool Boolean(bool) override { return true; }
  bool Number(std::string_view) override { return true; }
  bool String(std::string&) override { return true; }
  bool Key(std::string&) override { return true; }
  bool StartObject() override { return true; }
  bool EndObject() override { return true; }
  bool StartArray() override { return true; }
  bool EndArray() override { return true; }
};

TEST(JsonReaderTest, AHandlerStopsTheReading) {
  Stopper s;
  EXPECT_FALSE(ReadJson("[null, null, null]", &s));
  EXPECT_EQ(s.seen, 2);
}

TEST(JsonReaderTest, FieldNamesMatchAsGoMatchesThem) {
  EXPECT_TRUE(GoFieldNameMatches("startsAt", "startsAt"));
  EXPECT_TRUE(GoFieldNameMatches("STARTSAT", "startsAt"));
  EXPECT_TRUE(GoFieldNameMatches("CreatedBy", "createdBy"));
  EXPECT_TRUE(GoFieldNameMatches("\xC5\xBFtart\xC5\xBF" "At", "startsAt"));  // ſ folds to s
  EXPECT_TRUE(GoFieldNameMatches("\xE2\x84\xAA" "ey", "key"));             // Kelvin sign to k
  EXPECT_TRUE(GoFieldNameMatches("generatorUrl", "generatorURL"));
  EXPECT_FALSE(GoFieldNameMatches("startsAt ", "startsAt"));
  EXPECT_FALSE(GoFieldNameMatches("starts", "startsAt"));
  EXPECT_FALSE(GoFieldNameMatches("starts_At", "startsAt"));
  EXPECT_FALSE(GoFieldNameMatches("\xC5\xBF", "k"));
  EXPECT_FALSE(GoFieldNameMatches("", "id"));
}

}  // namespace
}  // namespace vigil::notifier
