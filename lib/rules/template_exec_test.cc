// The interpreter against promtool 2.42's own expansions: every expected string below was
// produced by `promtool test rules` on the same template (labels {__name__="up",
// instance="x", job="a"}, value 1, series up{job="a",instance="x"} 1 and up{job="b",
// instance="y"} 2, evaluated at 0s).
#include <gtest/gtest.h>

#include "lib/rules/template.h"

namespace vigil::rules {
namespace {

class TemplateExecTest : public ::testing::Test {
 protected:
  std::string Expand(std::string_view text) {
    TemplateQueryFunc query = [this](std::string_view q) { return Query(q); };
    TemplateData d{&ls_, 1, &ext_, "", &query};
    return ExpandTemplate("__alert_A", text, d);
  }
  // A stand-in for the engine: "up" and "sort(up)" give both series in label order,
  // up{job="b"} one, anything else nothing; "up[5m]" and "up +" fail as the engine does.
  absl::StatusOr<promql::Vector> Query(std::string_view q) {
    promql::Sample x{labels::Labels({{"__name__", "up"}, {"instance", "x"}, {"job", "a"}}), 1};
    promql::Sample y{labels::Labels({{"__name__", "up"}, {"instance", "y"}, {"job", "b"}}), 2};
    if (q == "up" || q == "sort(up)") return promql::Vector{x, y};
    if (q == "up{job=\"b\"}") return promql::Vector{y};
    if (q == "up[5m]") return absl::InvalidArgumentError("rule result is not a vector or scalar");
    if (q == "up +") return absl::InvalidArgumentError("1:5: parse error: unexpected end of input");
    return promql::Vector{};
  }
  labels::Labels ls_{{{"__name__", "up"}, {"instance", "x"}, {"job", "a"}}};
  labels::Labels ext_;
};

TEST_F(TemplateExecTest, QueryFirstValueLabel) {
  EXPECT_EQ(Expand("{{ with query \"up{job=\\\"b\\\"}\" }}{{ . | first | value }}{{ end }}"), "2");
  EXPECT_EQ(Expand("{{ label \"job\" (query \"up{job=\\\"b\\\"}\" | first) }}"), "b");
  EXPECT_EQ(Expand("{{ (query \"up{job=\\\"b\\\"}\" | first).Labels }} "
                   "{{ query \"up{job=\\\"b\\\"}\" | first }}"),
            "map[__name__:up instance:y job:b] {map[__name__:up instance:y job:b] 2}");
  EXPECT_EQ(Expand("{{ strvalue (query \"up\" | first) }}|{{ len (query \"up\") }}"), "|2");
  EXPECT_EQ(Expand("{{ query \"nothing\" | first | value }}"),
            "<error expanding template: error executing template __alert_A: template: "
            "__alert_A:1:133: executing \"__alert_A\" at <first>: error calling first: first() "
            "called on vector with no elements>");
  EXPECT_EQ(Expand("{{ query \"up[5m]\" }}"),
            "<error expanding template: error executing template __alert_A: template: "
            "__alert_A:1:115: executing \"__alert_A\" at <query \"up[5m]\">: error calling "
            "query: rule result is not a vector or scalar>");
  EXPECT_EQ(Expand("{{ query \"up +\" }}"),
            "<error expanding template: error executing template __alert_A: template: "
            "__alert_A:1:115: executing \"__alert_A\" at <query \"up +\">: error calling query: "
            "1:5: parse error: unexpected end of input>");
  EXPECT_EQ(Expand("{{ index (query \"up\") 5 }}"),
            "<error expanding template: error executing template __alert_A: template: "
            "__alert_A:1:115: executing \"__alert_A\" at <index (query \"up\") 5>: error calling "
            "index: index out of range: 5>");
}

TEST_F(TemplateExecTest, RangeWithElseAndVariables) {
  EXPECT_EQ(Expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}|{{ range $i, $s := "
                   "query \"sort(up)\" }}{{ $i }}:{{ $s.Value }}{{ if eq $i 0 }}{{ break }}{{ end "
                   "}}{{ end }}"),
            "__name__=up,instance=x,job=a,|0:1");
  EXPECT_EQ(Expand("{{ if eq 1 2 }}a{{ else if eq 1 1 }}b{{ else }}c{{ end }} {{ with query "
                   "\"nothing\" }}x{{ else }}empty{{ end }} {{ range query \"nothing\" }}x{{ else "
                   "}}none{{ end }}"),
            "b empty none");
  EXPECT_EQ(Expand("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"), "2");
  EXPECT_EQ(Expand("{{ range sortByLabel \"job\" (query \"up\") }}{{ .Labels.job }}{{ continue "
                   "}}x{{ end }}"),
            "ab");
  EXPECT_EQ(Expand("a  {{- 1 -}}  b {{/* comment */}} c {{- /* c2 */ -}} d"), "a1b  cd");
}

TEST_F(TemplateExecTest, FunctionsAndPrintf) {
  EXPECT_EQ(Expand("{{ $labels }} {{ printf \"%d %s %v %q\" 3 \"a\" 1.5 \"b\" }} {{ printf \"%d\" "
                   "1.5 }} {{ printf \"%v\" }} {{ printf \"x\" 1 }}"),
            "map[__name__:up instance:x job:a] 3 a 1.5 \"b\" %!d(float64=1.5) %!v(MISSING) "
            "x%!(EXTRA int=1)");
  EXPECT_EQ(Expand("{{ printf \"[%5s|%-5s|%05.1f|%x|%X|%t|%c|%8.3e|%+d]\" \"ab\" \"cd\" 3.14159 255 "
                   "\"hi\" true 65 12345.678 5 }}"),
            "[   ab|cd   |003.1|ff|6869|true|A|1.235e+04|+5]");
  EXPECT_EQ(Expand("{{ printf \"%s %d\" 1.5 \"x\" }} {{ printf \"%6.2f|%-8.3g|%g|%e\" 1.0 "
                   "1234.5678 1e21 0.0 }}"),
            "%!s(float64=1.5) %!d(string=x)   1.00|1.23e+03|1e+21|0.000000e+00");
  EXPECT_EQ(Expand("{{ 1 | printf \"%v %v\" 2 }} {{ len \"abc\" }} {{ index $labels \"job\" }} {{ "
                   "title \"foo bar\" }} {{ args 1 \"a\" }}"),
            "2 1 3 a Foo Bar map[arg0:1 arg1:a]");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(a+)\" \"<$1>\" \"baaac\" }} {{ match \"^a\" \"abc\" }} {{ "
                   "graphLink \"up > 1\" }} {{ tableLink \"x\" }}"),
            "b<aaa>c true /graph?g0.expr=up+%3E+1&g0.tab=0 /graph?g0.expr=x&g0.tab=1");
  EXPECT_EQ(Expand("{{ (args 1).arg5 }} {{ printf \"%v\" (args 1).arg5 }} {{ print 1 2 \"a\" \"b\" 3 "
                   "}} {{ println 1 \"x\" }}"),
            "<no value> <nil> 1 2ab3 1 x\n");
  EXPECT_EQ(Expand("{{ $value | printf \"%.2f\" }} {{ 3 | printf \"%d-%d\" 4 }} {{ \"x\" | len }}"),
            "1.00 4-3 1");
  EXPECT_EQ(Expand("{{ toTime 1000 }}|{{ humanizeTimestamp 1000.5 }}|{{ humanizeTimestamp 1.7e9 "
                   "}}|{{ humanizePercentage 12.34 }}|{{ humanize \"1234\" }}"),
            "1970-01-01 00:16:40 +0000 UTC|1970-01-01 00:16:40.5 +0000 UTC|2023-11-14 22:13:20 "
            "+0000 UTC|1234%|1.234k");
  EXPECT_EQ(Expand("{{ humanize1024 -2048 }} {{ humanizeDuration -0.5 }} {{ humanizeDuration 0 }} "
                   "{{ humanize -0.001 }} {{ parseDuration \"1m\" }}"),
            "-2ki -500ms 0s -1m 60");
  EXPECT_EQ(Expand("{{ html \"<a>\" }}"), "&lt;a&gt;");
  EXPECT_EQ(Expand("{{ $ }}"), "{map[__name__:up instance:x job:a] map[]  1}");
}

TEST_F(TemplateExecTest, ExecutionErrors) {
  const std::string p = "<error expanding template: error executing template __alert_A: template: ";
  EXPECT_EQ(Expand("{{ if gt $value 1 }}x{{ end }}"),
            p + "__alert_A:1:118: executing \"__alert_A\" at <gt $value 1>: error calling gt: "
                "incompatible types for comparison>");
  EXPECT_EQ(Expand("{{ \"abc\" | humanize }}"),
            p + "__alert_A:1:123: executing \"__alert_A\" at <humanize>: error calling humanize: "
                "strconv.ParseFloat: parsing \"abc\": invalid syntax>");
  EXPECT_EQ(Expand("{{ .Foo }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <.Foo>: can't evaluate field Foo in "
                "type struct { Labels map[string]string; ExternalLabels map[string]string; "
                "ExternalURL string; Value float64 }>");
  EXPECT_EQ(Expand("{{ (query \"up\" | first).Foo }}"),
            p + "__alert_A:1:129: executing \"__alert_A\" at <first>: can't evaluate field Foo in "
                "type *template.sample>");
  EXPECT_EQ(Expand("{{ and 1 0 }} {{ or 0 \"\" \"x\" }} {{ not 0 }} {{ and }}"),
            p + "__alert_A:1:159: executing \"__alert_A\" at <and>: wrong number of args for and: "
                "want at least 1 got 0>");
  EXPECT_EQ(Expand("{{ index $labels \"job\" \"x\" }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <index $labels \"job\" \"x\">: error "
                "calling index: cannot index slice/array with type string>");
  EXPECT_EQ(Expand("{{ .Labels.job.x }}"),
            p + "__alert_A:1:122: executing \"__alert_A\" at <.Labels.job.x>: can't evaluate "
                "field x in type string>");
  EXPECT_EQ(Expand("{{ range 5 }}x{{ end }}"),
            p + "__alert_A:1:121: executing \"__alert_A\" at <5>: range can't iterate over 5>");
  EXPECT_EQ(Expand("{{ nil }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <nil>: nil is not a command>");
  EXPECT_EQ(Expand("{{ 1 2 }}"), p + "__alert_A:1:115: executing \"__alert_A\" at <1>: can't give "
                                     "argument to non-function 1>");
  EXPECT_EQ(Expand("{{ $labels.job 1 }}"),
            p + "__alert_A:1:122: executing \"__alert_A\" at <$labels.job>: job is not a method "
                "but has arguments>");
  EXPECT_EQ(Expand("{{ .Value 1 }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <.Value>: Value has arguments but "
                "cannot be invoked as function>");
  EXPECT_EQ(Expand("{{ first \"x\" }}"),
            p + "__alert_A:1:121: executing \"__alert_A\" at <\"x\">: can't handle \"x\" for arg "
                "of type template.queryResult>");
  EXPECT_EQ(Expand("{{ eq $labels $labels }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <eq $labels $labels>: error calling "
                "eq: non-comparable type map[__name__:up instance:x job:a]: map[string]string>");
  EXPECT_EQ(Expand("{{ $value }}\n{{ $labels.job | first }}"),
            p + "__alert_A:2:17: executing \"__alert_A\" at <first>: wrong type for value; "
                "expected template.queryResult; got string>");
  EXPECT_EQ(Expand("{{ parseDuration \"x\" }}"),
            p + "__alert_A:1:115: executing \"__alert_A\" at <parseDuration \"x\">: error calling "
                "parseDuration: not a valid duration string: \"x\">");
}

TEST_F(TemplateExecTest, ParseErrors) {
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ foo }}").message(),
            "template: __alert_A:1: function \"foo\" not defined");
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ end }}").message(), "template: __alert_A:1: unexpected {{end}}");
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ if }}").message(), "template: __alert_A:1: missing value for if");
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ else }}").message(), "template: __alert_A:1: unexpected {{else}}");
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ gt (0/0) 1.0 }}").message(),
            "template: __alert_A:1: unexpected \"/\" in operand");
  EXPECT_TRUE(CheckTemplate("__alert_A", "{{ $labels.job }} {{ $value | humanize }}").ok());
}

}  // namespace
}  // namespace vigil::rules
