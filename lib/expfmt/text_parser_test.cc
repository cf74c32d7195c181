#include "lib/expfmt/text_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include <set>

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

namespace vigil::expfmt {
namespace {

TEST(TextParserTest, KnownSeriesSkipTheLabelParseButNotTheValueChecks) {
  std::string input =
      "a{x=\"1 2\"} 1\n"         // known
      "  a{x=\"1 2\"} 2 77 \r\n"  // known, leading/trailing blanks, timestamp, CR
      "b 3\n"                      // unknown: full parse
      "a{x=\"1 2\"} 1 2 3\n";     // known text but a malformed line: full parse's error
  TextParser p(input);
  int lookups = 0;
  p.set_series_lookup([&](std::string_view text) -> std::optional<int64_t> {
    ++lookups;
    if (text == "a{x=\"1 2\"}") return 7;
    return std::nullopt;
  });
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.known_series(), 7);
  EXPECT_EQ(p.metric_name(), "a");
  EXPECT_EQ(p.value(), 1);
  EXPECT_FALSE(p.timestamp_ms().has_value());
  ASSERT_EQ(p.series_labels().size(), 1u);  // built on demand from the text
  EXPECT_EQ(p.series_labels()[0], (labels::Label{"x", "1 2"}));
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.known_series(), 7);
  EXPECT_EQ(p.value(), 2);
  EXPECT_EQ(p.timestamp_ms(), 77);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_FALSE(p.known_series().has_value());
  EXPECT_EQ(p.series_text(), "b");
  EXPECT_EQ(p.value(), 3);
  auto bad = p.Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()), "line 4, column 16: unexpected text after sample");
  EXPECT_GT(lookups, 0);
}

}  // namespace
}  // namespace vigil::expfmt

namespace vigil::expfmt {
namespace {

struct Parsed {
  std::string error;
  std::vector<std::tuple<std::string, std::vector<labels::Label>, double, std::optional<int64_t>>>
      series;
};

Parsed ParseWith(std::string_view input, const Parser::SeriesLookup& lookup,
                 std::vector<std::string>* texts) {
  TextParser p(input);
  if (lookup) p.set_series_lookup(lookup);
  Parsed out;
  for (int i = 0; i < 1000; ++i) {
    auto e = p.Next();
    if (!e.ok()) {
      out.error = std::string(e.status().message());
      break;
    }
    if (*e == Entry::kEof) break;
    if (*e != Entry::kSeries) continue;
    if (texts) texts->emplace_back(p.series_text());
    out.series.emplace_back(std::string(p.metric_name()), p.series_labels(), p.value(),
                            p.timestamp_ms());
  }
  return out;
}

// The known-series fast path must accept, reject and read every line exactly as the full
// parse does: lines are parsed once in full to learn their series texts, then again with
// all of those texts known, and with each line mutated at every position.
TEST(TextParserTest, KnownSeriesFastPathAgreesWithTheFullParse) {
  std::vector<std::string> lines = {
      "a 1",         "a{} 2",         "a{x=\"1\"} 3 4",  "  a{x=\"y z\",w=\"\\\\\\n\\\"\"}\t5\t6\t\r",
      "a {x=\"1\"} 7", "a{x=\"1\"}  8 ", "b 1e3 -5",      "c_total{le=\"+Inf\"} +Inf",
      "d NaN",       "e -Inf 1\r",    "f{x=\"}\"} 0.5", "g{x=\"1 2\"} 3 4 5",
      "h 1 2\r\r",   "i 0x1",         "j{x=\"1\"}3",    "k 1 2.5",
  };
  // Each line alone, so one bad line does not hide the others.
  std::vector<std::string> inputs;
  for (const auto& l : lines) inputs.push_back(l + "\n");
  for (size_t i = 0; i < lines.size(); ++i) {
    for (size_t pos = 0; pos <= lines[i].size(); ++pos) {
      for (char c : {' ', '1', '}', '"', '\r', 'x'}) {
        std::string m = lines[i];
        m.insert(pos, 1, c);
        inputs.push_back(m + "\n");
      }
    }
  }
  std::vector<std::string> known;
  for (const auto& in : inputs) ParseWith(in, nullptr, &known);
  std::set<std::string, std::less<>> known_set(known.begin(), known.end());
  int hits = 0;
  auto lookup = [&](std::string_view text) -> std::optional<int64_t> {
    if (!known_set.count(text)) return std::nullopt;
    ++hits;
    return 1;
  };
  for (const auto& in : inputs) {
    Parsed a = ParseWith(in, nullptr, nullptr);
    Parsed b = ParseWith(in, lookup, nullptr);
    EXPECT_EQ(a.error, b.error) << in;
    EXPECT_EQ(a.series.size(), b.series.size()) << in;
    if (a.series.size() == b.series.size()) {
      for (size_t i = 0; i < a.series.size(); ++i) {
        EXPECT_EQ(std::get<0>(a.series[i]), std::get<0>(b.series[i])) << in;
        EXPECT_EQ(std::get<1>(a.series[i]), std::get<1>(b.series[i])) << in;
        double va = std::get<2>(a.series[i]), vb = std::get<2>(b.series[i]);
        EXPECT_TRUE(va == vb || (std::isnan(va) && std::isnan(vb))) << in;
        EXPECT_EQ(std::get<3>(a.series[i]), std::get<3>(b.series[i])) << in;
      }
    }
  }
  EXPECT_GT(hits, 100);
}

}  // namespace
}  // namespace vigil::expfmt
