#include "lib/rules/template.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vigil::rules {
namespace {

TEST(TemplateTest, LabelsValueAndFunctions) {
  labels::Labels ls({{"instance", "h:1"}, {"job", "api"}});
  labels::Labels ext({{"cluster", "prod"}});
  TemplateData d{&ls, 0.1234, &ext};
  EXPECT_EQ(ExpandTemplate("t", "{{ $labels.instance }} of {{ .Labels.job }} in {{ $externalLabels.cluster }}", d),
            "h:1 of api in prod");
  EXPECT_EQ(ExpandTemplate("t", "v={{ $value }}", d), "v=0.1234");
  EXPECT_EQ(ExpandTemplate("t", "{{ printf \"%.2f\" $value }}", d), "0.12");
  EXPECT_EQ(ExpandTemplate("t", "{{ $value | humanizePercentage }}", d), "12.34%");
  EXPECT_EQ(ExpandTemplate("t", "no actions", d), "no actions");
  EXPECT_EQ(ExpandTemplate("t", "{{ $labels.missing }}", d), "");
  EXPECT_EQ(ExpandTemplate("t", "{{ range . }}", d).rfind("<error expanding template: ", 0), 0u);
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
