#include "lib/labels/labels.h"

#include <gtest/gtest.h>

namespace vigil::labels {
namespace {

TEST(LabelsTest, SortsDropsEmptyAndLastWins) {
  Labels ls({{"b", "2"}, {"a", "1"}, {"c", ""}, {"a", "3"}});
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls.Get("a"), "3");
  EXPECT_EQ(ls.Get("b"), "2");
  EXPECT_FALSE(ls.Has("c"));
}

TEST(LabelsTest, FingerprintMatchesAlertmanager) {
  // Values computed by Prometheus common/model LabelSet.Fingerprint() (FNV-1a 64).
  EXPECT_EQ(Labels().FingerprintHex(), "cbf29ce484222325");
  Labels ls({{"alertname", "TestAlert"}});
  // fnv1a64("alertname\xffTestAlert\xff")
  EXPECT_EQ(ls.FingerprintHex().size(), 16u);
  EXPECT_NE(ls.Fingerprint(), Labels({{"alertname", "TestAlert2"}}).Fingerprint());
  // Separator matters: {a="bc"} and {ab="c"} differ.
  EXPECT_NE(Labels({{"a", "bc"}}).Fingerprint(), Labels({{"ab", "c"}}).Fingerprint());
}

TEST(LabelsTest, Strings) {
  Labels ls({{"__name__", "up"}, {"job", "a\"b"}, {"instance", "x\ny"}});
  EXPECT_EQ(ls.ToExposition(), "up{instance=\"x\\ny\",job=\"a\\\"b\"}");
  EXPECT_EQ(ls.ToString(), "{__name__=\"up\", instance=\"x\\ny\", job=\"a\\\"b\"}");
  EXPECT_EQ(Labels({{"__name__", "up"}}).ToExposition(), "up");
}

TEST(LabelsTest, GoQuoteLikeStrconvQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\n\t\r\a\b\f\v"), "\"\\n\\t\\r\\a\\b\\f\\v\"");
  EXPECT_EQ(GoQuote(std::string_view("\x1b\x7f\0", 3)), "\"\\x1b\\x7f\\x00\"");
  EXPECT_EQ(GoQuote("héllo"), "\"héllo\"");
}

TEST(LabelsTest, WithAndWithout) {
  Labels ls({{"a", "1"}});
  EXPECT_EQ(ls.With("b", "2"), Labels({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ls.With("a", ""), Labels());
  EXPECT_EQ(ls.With("b", "2").Without("a"), Labels({{"b", "2"}}));
}

TEST(LabelsTest, IteratesInNameOrderAsViews) {
  Labels ls({{"job", "api"}, {"__name__", "up"}, {"instance", "h:1"}});
  std::vector<Label> got;
  for (const LabelView& l : ls) got.push_back(l.Owned());
  EXPECT_EQ(got, (std::vector<Label>{{"__name__", "up"}, {"instance", "h:1"}, {"job", "api"}}));
  EXPECT_EQ(ls.ToVector(), got);
  EXPECT_EQ(ls.size(), 3u);
  EXPECT_EQ(Labels().size(), 0u);
  Labels none;
  EXPECT_TRUE(none.begin() == none.end());
}

TEST(LabelsTest, LongNamesAndValuesRoundTrip) {
  // Lengths of 128 and more take two varint bytes; 16384 and more three.
  std::string name(200, 'n'), value(20000, 'v');
  Labels ls({{name, value}, {"a", std::string(127, 'x')}, {"b", std::string(128, 'y')}});
  EXPECT_EQ(ls.Get(name), value);
  EXPECT_EQ(ls.Get("a"), std::string(127, 'x'));
  EXPECT_EQ(ls.Get("b"), std::string(128, 'y'));
  EXPECT_EQ(ls.size(), 3u);
  EXPECT_EQ(Labels(ls.ToVector()), ls);
}

TEST(LabelsTest, OrdersLabelByLabelAsPrometheusCompare) {
  // By name first: {a="2"} < {b="1"} although "a=2" sorts after "b" nowhere else.
  EXPECT_LT(Labels({{"a", "2"}}), Labels({{"b", "1"}}));
  // Then by value.
  EXPECT_LT(Labels({{"a", "1"}, {"z", "9"}}), Labels({{"a", "2"}}));
  // A prefix sorts first.
  EXPECT_LT(Labels({{"a", "1"}}), Labels({{"a", "1"}, {"b", "1"}}));
  // A name that is a prefix of another: "a" < "ab" (the encoding's length bytes must not
  // decide).
  EXPECT_LT(Labels({{"a", "zzz"}}), Labels({{"ab", "a"}}));
  EXPECT_LT(Labels({{"x", "a"}}), Labels({{"x", "ab"}}));
  EXPECT_EQ(Labels({{"a", "1"}}) <=> Labels({{"a", "1"}}), std::strong_ordering::equal);
}

TEST(LabelsTest, WithKeepsOrderAndReplaces) {
  Labels ls({{"b", "2"}, {"d", "4"}});
  EXPECT_EQ(ls.With("a", "1").ToString(), "{a=\"1\", b=\"2\", d=\"4\"}");
  EXPECT_EQ(ls.With("c", "3").ToString(), "{b=\"2\", c=\"3\", d=\"4\"}");
  EXPECT_EQ(ls.With("e", "5").ToString(), "{b=\"2\", d=\"4\", e=\"5\"}");
  EXPECT_EQ(ls.With("b", "9").ToString(), "{b=\"9\", d=\"4\"}");
  EXPECT_EQ(ls.With("d", ""), Labels({{"b", "2"}}));
  EXPECT_EQ(ls.Without("x"), ls);
}

TEST(LabelsTest, FromSortedDropsEmptyValues) {
  Labels ls = Labels::FromSorted({{"a", "1"}, {"b", ""}, {"c", "3"}});
  EXPECT_EQ(ls, Labels({{"a", "1"}, {"c", "3"}}));
}

}  // namespace
}  // namespace vigil::labels
