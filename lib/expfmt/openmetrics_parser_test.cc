#include "lib/expfmt/openmetrics_parser.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lib/expfmt/text_parser.h"

namespace vigil::expfmt {
namespace {

// Reads every entry; returns the error of the first failing Next(), or OK.
absl::Status Drain(Parser& p) {
  while (true) {
    auto e = p.Next();
    if (!e.ok()) return e.status();
    if (*e == Entry::kEof) return absl::OkStatus();
  }
}

TEST(OpenMetricsParserTest, ParsesMetadataSamplesTimestampsAndExemplars) {
  constexpr std::string_view kInput =
      "# TYPE rpc_seconds histogram\n"
      "# UNIT rpc_seconds seconds\n"
      "# HELP rpc_seconds RPC \\\"latency\\\"\\nin seconds.\n"
      "rpc_seconds_bucket{le=\"0.5\"} 3 1520879607.789 # {trace_id=\"abc\"} 0.31 1520879607.7\n"
      "rpc_seconds_bucket{le=\"+Inf\"} 5 1520879607.789\n"
      "rpc_seconds_count 5 1520879607.789\n"
      "rpc_seconds_sum 2.5 1520879607.789\n"
      "rpc_seconds_created 1520870000.5 1520879607.789\n"
      "# TYPE up_states stateset\n"
      "up_states{up_states=\"ok\"} 1\n"
      "# TYPE build info\n"
      "build_info{version=\"1.2\"} 1\n"
      "# EOF\n";
  OpenMetricsParser p(kInput, {.check_families = true});
  ASSERT_EQ(*p.Next(), Entry::kType);
  EXPECT_EQ(p.family(), "rpc_seconds");
  EXPECT_EQ(p.type(), MetricType::kHistogram);
  ASSERT_EQ(*p.Next(), Entry::kUnit);
  EXPECT_EQ(p.unit(), "seconds");
  ASSERT_EQ(*p.Next(), Entry::kHelp);
  EXPECT_EQ(p.help(), "RPC \"latency\"\nin seconds.");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.Labels(), labels::Labels({{"__name__", "rpc_seconds_bucket"}, {"le", "0.5"}}));
  EXPECT_EQ(p.value(), 3);
  EXPECT_EQ(p.timestamp_ms(), 1520879607789);  // float seconds -> ms
  ASSERT_NE(p.exemplar(), nullptr);
  EXPECT_EQ(p.exemplar()->labels, (std::vector<labels::Label>{{"trace_id", "abc"}}));
  EXPECT_EQ(p.exemplar()->value, 0.31);
  EXPECT_EQ(p.exemplar()->timestamp_ms, 1520879607700);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.exemplar(), nullptr);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.metric_name(), "rpc_seconds_sum");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.metric_name(), "rpc_seconds_created");
  EXPECT_EQ(p.value(), 1520870000.5);
  ASSERT_EQ(*p.Next(), Entry::kType);
  EXPECT_EQ(p.type(), MetricType::kStateset);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  ASSERT_EQ(*p.Next(), Entry::kType);
  EXPECT_EQ(p.type(), MetricType::kInfo);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.metric_name(), "build_info");
  EXPECT_EQ(*p.Next(), Entry::kEof);
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(OpenMetricsParserTest, TimestampsTruncateTowardZeroLikePrometheus) {
  OpenMetricsParser p("a 1 -1.0019\nb 1 0.0019\nc 1 1e3\n# EOF");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.timestamp_ms(), -1001);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.timestamp_ms(), 1);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.timestamp_ms(), 1'000'000);
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(OpenMetricsParserTest, EscapesNaNAndInfinities) {
  OpenMetricsParser p("a{x=\"q\\\"\\\\\\n\\z\"} NaN\nb +Inf\nc -Inf\n# EOF\n");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.series_labels()[0].value, "q\"\\\n\\z");
  EXPECT_TRUE(std::isnan(p.value()));
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.value(), INFINITY);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.value(), -INFINITY);
}

TEST(OpenMetricsParserTest, ErrorsNameLineAndColumn) {
  struct Case {
    std::string_view input;
    std::string_view error;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"a 1\n", "line 2, column 1: data does not end with \"# EOF\""},
           {"", "line 1, column 1: data does not end with \"# EOF\""},
           {"a 1\n# EOF\nb 1\n", "line 3, column 1: unexpected data after \"# EOF\""},
           {"a 1\n\n# EOF\n", "line 2, column 1: blank line"},
           {"a  1\n# EOF\n", "line 1, column 3: expected value"},
           {"a 1 \n# EOF\n", "line 1, column 5: expected timestamp"},
           {"a{b=\"1\",} 1\n# EOF\n", "line 1, column 9: invalid label name"},
           {"# TYPE a untyped\n# EOF\n", "line 1, column 10: invalid metric type \"untyped\""},
           {"# comment\n# EOF\n",
            "line 1, column 3: expected \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\""},
           {"a 1 # {x=\"y\"}1\n# EOF\n",
            "line 1, column 14: expected a space before the exemplar value"},
           {"a 1 NaN\n# EOF\n", "line 1, column 5: invalid timestamp \"NaN\""},
       }) {
    OpenMetricsParser p(c.input);
    absl::Status s = Drain(p);
    EXPECT_EQ(std::string(s.message()), c.error) << c.input;
  }
}

TEST(OpenMetricsParserTest, FamilyChecksAreOptional) {
  // Prometheus's scraper stores these; the OpenMetrics reference parser rejects them.
  constexpr std::string_view kInput =
      "# TYPE a counter\n"
      "a_total -1\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"2\"} 1\n"
      "h_bucket{le=\"1\"} 1\n"
      "# EOF\n";
  OpenMetricsParser lax(kInput);
  EXPECT_TRUE(Drain(lax).ok());
  OpenMetricsParser strict(kInput, {.check_families = true});
  EXPECT_EQ(std::string(Drain(strict).message()),
            "line 2, column 1: counter-like value must not be negative");
}

TEST(ParserFactoryTest, ChoosesTheParserFromTheContentTypeLikePrometheus) {
  EXPECT_EQ(FormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType("Application/OpenMetrics-Text"), Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType("text/plain; version=0.0.4; charset=utf-8"), Format::kText);
  EXPECT_EQ(FormatFromContentType(""), Format::kText);
  EXPECT_EQ(FormatFromContentType("garbage;;"), Format::kText);

  auto om = NewParser("a 1 1.5\n# EOF\n", "application/openmetrics-text; version=1.0.0");
  ASSERT_EQ(*om->Next(), Entry::kSeries);
  EXPECT_EQ(om->timestamp_ms(), 1500);
  EXPECT_EQ(*om->Next(), Entry::kEof);

  auto text = NewParser("a 1 1500\n", "text/plain; version=0.0.4");
  ASSERT_EQ(*text->Next(), Entry::kSeries);
  EXPECT_EQ(text->timestamp_ms(), 1500);
  EXPECT_EQ(*text->Next(), Entry::kEof);
}

}  // namespace
}  // namespace vigil::expfmt
