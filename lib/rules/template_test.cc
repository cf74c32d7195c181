#include "lib/rules/template.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil::rules {
namespace {

TEST(TemplateTest, LabelsValueAndFunctions) {
  labels::Labels ls({{"instance", "h:1"}, {"job", "api"}});
  labels::Labels ext({{"cluster", "prod"}});
  TemplateData d{&ls, 0.1234, &ext};
  EXPECT_EQ(
      ExpandTemplate(
          "t", "{{ $labels.instance }} of {{ .Labels.job }} in {{ $externalLabels.cluster }}", d),
      "h:1 of api in prod");
  EXPECT_EQ(ExpandTemplate("t", "v={{ $value }}", d), "v=0.1234");
  EXPECT_EQ(ExpandTemplate("t", "{{ printf \"%.2f\" $value }}", d), "0.12");
  EXPECT_EQ(ExpandTemplate("t", "{{ $value | humanizePercentage }}", d), "12.34%");
  EXPECT_EQ(ExpandTemplate("t", "no actions", d), "no actions");
  EXPECT_EQ(ExpandTemplate("t", "{{ $labels.missing }}", d), "");
  EXPECT_EQ(ExpandTemplate("t", "{{ range . }}", d).rfind("<error expanding template: ", 0), 0u);
}

// Expected strings are promtool 2.42's expansions (testdata/rules/templates_test.yml).
TEST(TemplateTest, HumanizeFamilyAndLiterals) {
  labels::Labels ls({{"job", "api"}});
  TemplateData d{&ls, 0.75, nullptr};
  EXPECT_EQ(ExpandTemplate("t", "{{ $value | humanize }}s", d), "750ms");
  EXPECT_EQ(ExpandTemplate("t", "{{ 1234567.0 | humanize }} {{ 2048.0 | humanize1024 }}", d),
            "1.235M 2ki");
  EXPECT_EQ(ExpandTemplate("t", "{{ 93784.0 | humanizeDuration }}", d), "1d 2h 3m 4s");
  EXPECT_EQ(ExpandTemplate("t", "{{ humanizeDuration 65.0 }}", d), "1m 5s");
  EXPECT_EQ(ExpandTemplate("t", "{{ humanizeDuration 4.5 }}", d), "4.5s");
  EXPECT_EQ(ExpandTemplate("t", "{{ humanizeDuration 0.25 }}", d), "250ms");
  EXPECT_EQ(ExpandTemplate("t", "{{ humanize 0.000123 }}", d), "123u");
  EXPECT_EQ(ExpandTemplate("t", "{{ humanize1024 0.5 }}", d), "0.5");
}

TEST(TemplateTest, ExternalURL) {
  labels::Labels ls;
  TemplateData d{&ls, 1, nullptr, "https://prom.example.com"};
  EXPECT_EQ(ExpandTemplate("t", "{{ $externalURL }}/alerts {{ .ExternalURL }}", d),
            "https://prom.example.com/alerts https://prom.example.com");
}

TEST(TemplateTest, IfElseEnd) {
  labels::Labels ls({{"job", "api"}});
  TemplateData big{&ls, 3.25, nullptr};
  TemplateData small{&ls, 0.75, nullptr};
  const char* t = "{{ if gt $value 2.0 }}page{{ else }}ticket{{ end }}";
  EXPECT_EQ(ExpandTemplate("t", t, big), "page");
  EXPECT_EQ(ExpandTemplate("t", t, small), "ticket");
  EXPECT_EQ(ExpandTemplate("t", "a{{ if eq $labels.job \"api\" }}-{{ $labels.job }}{{ end }}", big),
            "a-api");
  EXPECT_EQ(ExpandTemplate("t", "{{ if $labels.missing }}x{{ else }}y{{ end }}", big), "y");
  EXPECT_EQ(ExpandTemplate("t", "{{ if lt $value 1.0 }}{{ if gt $value 0.5 }}mid{{ end }}{{ end }}",
                           small),
            "mid");
  EXPECT_EQ(
      ExpandTemplate("t", "{{ if gt $value 1.0 }}x", big).rfind("<error expanding template: ", 0),
      0u);
  EXPECT_EQ(ExpandTemplate("t", "{{ end }}", big).rfind("<error expanding template: ", 0), 0u);
}

TEST(TemplateTest, GoFloatFormatting) {
  EXPECT_EQ(FormatGoFloat(0), "0");
  EXPECT_EQ(FormatGoFloat(1), "1");
  EXPECT_EQ(FormatGoFloat(0.1), "0.1");
  EXPECT_EQ(FormatGoFloat(98.03), "98.03");
  EXPECT_EQ(FormatGoFloat(123456), "123456");
  EXPECT_EQ(FormatGoFloat(1e8), "1e+08");
  EXPECT_EQ(FormatGoFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(std::nan("")), "NaN");
  EXPECT_EQ(FormatGoFloat(-INFINITY), "-Inf");
}

}  // namespace
}  // namespace vigil::rules
