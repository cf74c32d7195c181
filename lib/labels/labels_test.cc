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

}  // namespace
}  // namespace vigil::labels
