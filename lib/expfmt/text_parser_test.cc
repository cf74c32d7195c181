#include "lib/expfmt/text_parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil::expfmt {
namespace {

TEST(TextParserTest, ParsesFamiliesAndSamples) {
  constexpr std::string_view kInput =
      "# HELP http_requests_total The total.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\",}    3\n"
      "\n"
      "# a comment\n"
      "metric_without_labels 12.47\n"
      "escaped{path=\"C:\\\\dir\\\\\",text=\"say \\\"hi\\\"\\n\"} +Inf\n"
      "nan_value NaN\n";
  TextParser p(kInput);
  auto e = p.Next();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, Entry::kHelp);
  EXPECT_EQ(p.family(), "http_requests_total");
  EXPECT_EQ(p.help(), "The total.");
  ASSERT_EQ(*p.Next(), Entry::kType);
  EXPECT_EQ(p.type(), MetricType::kCounter);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(
      p.Labels(),
      labels::Labels({{"__name__", "http_requests_total"}, {"method", "post"}, {"code", "200"}}));
  EXPECT_EQ(p.value(), 1027);
  EXPECT_EQ(p.timestamp_ms(), 1395066363000);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.value(), 3);
  EXPECT_FALSE(p.timestamp_ms().has_value());
  ASSERT_EQ(*p.Next(), Entry::kComment);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.metric_name(), "metric_without_labels");
  EXPECT_DOUBLE_EQ(p.value(), 12.47);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Labels().Get("path"), "C:\\dir\\");
  EXPECT_EQ(p.Labels().Get("text"), "say \"hi\"\n");
  EXPECT_TRUE(std::isinf(p.value()));
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_TRUE(std::isnan(p.value()));
  EXPECT_EQ(*p.Next(), Entry::kEof);
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(TextParserTest, ErrorsNameLineAndColumn) {
  auto r = ParseAll("ok 1\nbad{a=\"x} 1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "line 2, column 12: unterminated label value");
  r = ParseAll("ok 1\n\nx 1 notatime\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "line 3, column 5: invalid timestamp \"notatime\"");
  r = ParseAll("<html>\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "line 1, column 1: invalid metric name");
  r = ParseAll("x{a=\"1\",a=\"2\"} 1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate label name"), std::string::npos);
  r = ParseAll("x 0x10\n");
  EXPECT_FALSE(r.ok());
}

TEST(TextParserTest, ParseFloatLikeGo) {
  EXPECT_EQ(ParseFloat("1e3"), 1000.0);
  EXPECT_EQ(ParseFloat("-Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_FALSE(ParseFloat("").has_value());
  EXPECT_FALSE(ParseFloat("1e999").has_value());
  EXPECT_FALSE(ParseFloat("-NaN").has_value());
  EXPECT_FALSE(ParseFloat("abc").has_value());
  // The from_chars fast path and the strtod path agree with Go on the edges.
  EXPECT_EQ(ParseFloat("+5"), 5.0);
  EXPECT_EQ(ParseFloat("5."), 5.0);
  EXPECT_EQ(ParseFloat(".5"), 0.5);
  EXPECT_EQ(ParseFloat("-0.1"), -0.1);
  EXPECT_EQ(ParseFloat("1e-400"), 0.0);  // underflow is not an error in Go
  EXPECT_EQ(ParseFloat("0.30000000000000004"), 0.1 + 0.2);
  EXPECT_FALSE(ParseFloat("-1e999").has_value());
  EXPECT_FALSE(ParseFloat("-nan(1)").has_value());
  EXPECT_FALSE(ParseFloat("1e").has_value());
  EXPECT_FALSE(ParseFloat("1.2.3").has_value());
  EXPECT_FALSE(ParseFloat("+-1").has_value());
  EXPECT_FALSE(ParseFloat("0x1p3").has_value());
}

TEST(TextParserTest, SeriesTextIsTheLineUpToTheValueAndLabelsAreBuiltOnDemand) {
  TextParser p("a{x=\"1\\n\\\\\",y=\"\"} 1 5\nb 2\n");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.series_text(), "a{x=\"1\\n\\\\\",y=\"\"}");
  ASSERT_EQ(p.series_labels().size(), 2u);
  EXPECT_EQ(p.series_labels()[0], (labels::Label{"x", "1\n\\"}));
  EXPECT_EQ(p.series_labels()[1], (labels::Label{"y", ""}));
  EXPECT_EQ(p.timestamp_ms(), 5);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.series_text(), "b");
  EXPECT_TRUE(p.series_labels().empty());
  EXPECT_EQ(p.Labels(), labels::Labels({{"__name__", "b"}}));
}

}  // namespace
}  // namespace vigil::expfmt
