#include "lib/promql/parser.h"

#include <gtest/gtest.h>

namespace vigil::promql {
namespace {

std::string RoundTrip(std::string_view in) {
  auto e = ParseExpr(in);
  EXPECT_TRUE(e.ok()) << in << ": " << e.status();
  return e.ok() ? String(**e) : "";
}

std::string Err(std::string_view in) {
  auto e = ParseExpr(in);
  EXPECT_FALSE(e.ok()) << in;
  return e.ok() ? "" : std::string(e.status().message());
}

TEST(ParserTest, SelectorsAndComparisons) {
  auto e = ParseExpr("up{job=\"memory_store\", instance=~\"127.*\"} == 0");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ((*e)->kind, Expr::Kind::kBinary);
  EXPECT_EQ((*e)->op, BinOp::kEql);
  const VectorSelector& sel = (*e)->lhs->selector;
  EXPECT_EQ(sel.name, "up");
  ASSERT_EQ(sel.matchers.size(), 3u);
  EXPECT_EQ(sel.matchers[1].ToString(), "job=\"memory_store\"");
  EXPECT_EQ((*e)->rhs->number, 0);
  e = ParseExpr("cost_reduction_percent < bool 75");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE((*e)->return_bool);
}

TEST(ParserTest, Literals) {
  EXPECT_EQ(RoundTrip("0x1F"), "31");
  EXPECT_EQ(RoundTrip("1e3"), "1000");
  EXPECT_EQ(RoundTrip(".5"), "0.5");
  EXPECT_EQ(RoundTrip("-Inf"), "-Inf");
  EXPECT_EQ(RoundTrip("NaN"), "NaN");
  EXPECT_EQ(RoundTrip("'a\\n\"b'"), "\"a\\n\\\"b\"");
  EXPECT_EQ(RoundTrip("`a\\n`"), "\"a\\\\n\"");
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  auto top = [](std::string_view in) {
    auto e = ParseExpr(in);
    EXPECT_TRUE(e.ok()) << e.status();
    return (*e)->op;
  };
  EXPECT_EQ(top("a + b * c"), BinOp::kAdd);
  EXPECT_EQ(top("a * b + c"), BinOp::kAdd);
  EXPECT_EQ(top("a or b and c"), BinOp::kOr);
  EXPECT_EQ(top("a > b + c"), BinOp::kGtr);
  // ^ is right-associative: 2 ^ 3 ^ 2 = 2 ^ 9.
  auto e = ParseExpr("2 ^ 3 ^ 2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->rhs->kind, Expr::Kind::kBinary);
  // Unary minus binds looser than ^: -a ^ b is -(a ^ b).
  e = ParseExpr("-a ^ b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, Expr::Kind::kUnary);
  e = ParseExpr("-a * b");
  EXPECT_EQ((*e)->kind, Expr::Kind::kBinary);
}

TEST(ParserTest, PrintsLikePrometheus) {
  EXPECT_EQ(RoundTrip("sum by (job) (rate(x{a=\"b\"}[5m]))"), "sum by(job) (rate(x{a=\"b\"}[5m]))");
  EXPECT_EQ(RoundTrip("sum(x) without (a,b)"), "sum without(a, b) (x)");
  EXPECT_EQ(RoundTrip("topk(3, x)"), "topk(3, x)");
  EXPECT_EQ(RoundTrip("x offset -5m"), "x offset -5m");
  EXPECT_EQ(RoundTrip("x[1h30m] offset 1d @ 100"), "x[1h30m] @ 100.000 offset 1d");
  EXPECT_EQ(RoundTrip("x @ start()"), "x @ start()");
  // Keywords are case-insensitive, as in Prometheus (promtool accepts these).
  EXPECT_EQ(RoundTrip("x @ START()"), "x @ start()");
  EXPECT_EQ(RoundTrip("x[5m] @ End()"), "x[5m] @ end()");
  EXPECT_EQ(RoundTrip("rate(x[5m])[30m:1m]"), "rate(x[5m])[30m:1m]");
  EXPECT_EQ(RoundTrip("max_over_time(x[10m:])"), "max_over_time(x[10m:])");
  EXPECT_EQ(RoundTrip("a / on(x) group_left(y) b"), "a / on(x) group_left(y) b");
  EXPECT_EQ(RoundTrip("a == ignoring(x) b"), "a == ignoring(x) b");
  EXPECT_EQ(RoundTrip("a and b"), "a and b");
  EXPECT_EQ(RoundTrip("{__name__=~\"a.*\"}"), "{__name__=~\"a.*\"}");
  EXPECT_EQ(RoundTrip("count_values(\"v\", x)"), "count_values(\"v\", x)");
  EXPECT_EQ(RoundTrip("-x"), "-x");
  EXPECT_EQ(RoundTrip("(1 + 2) * 3"), "(1 + 2) * 3");
  EXPECT_EQ(RoundTrip("max_over_time(job:rate5m:sum[10m:1m])"), "max_over_time(job:rate5m:sum[10m:1m])");
  EXPECT_EQ(RoundTrip("SUM(x) BY (a) AND ON(a) y"), "sum by(a) (x) and on(a) y");
  EXPECT_EQ(RoundTrip("x{a=\"\\u00e9\\x41\\101\"}"), "x{a=\"éAA\"}");
}

TEST(ParserTest, ErrorsHavePositions) {
  // Durations the lexer takes but model.ParseDuration rejects (found by the fuzzer: these
  // crashed the parser); texts and positions as promtool 2.42 prints them.
  EXPECT_EQ(Err("qu[58w58w]"), "1:4: parse error: not a valid duration string: \"58w58w\"");
  EXPECT_EQ(Err("x[5m:58w58w]"), "1:6: parse error: not a valid duration string: \"58w58w\"");
  EXPECT_EQ(Err("x[300y]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(Err("x[99999999999999999999s]"), "1:3: parse error: duration out of range");
  EXPECT_EQ(RoundTrip("x[292y]"), "x[292y]");
  EXPECT_EQ(Err("x offset 58w58w"),
            "1:10: parse error: not a valid duration string: \"58w58w\"");
  EXPECT_EQ(Err("up{job=\"a\""), "1:11: parse error: unexpected end of input inside braces");
  EXPECT_EQ(Err("up{job~\"a\"}"), "1:7: parse error: unexpected character inside braces: '~'");
  EXPECT_EQ(Err("{job=\"\"}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(Err("1 > 2"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(Err("rate(x)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(Err("foo(x)"), "1:1: parse error: unknown function with name \"foo\"");
  EXPECT_EQ(
      Err("sum(x[5m])"),
      "1:5: parse error: expected type instant vector in aggregation expression, got range vector");
  EXPECT_EQ(Err("1 and x"),
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("a\n+ "), "2:3: parse error: unexpected end of input");
  EXPECT_FALSE(ParseExpr("x[5m][5m]").ok());
  EXPECT_FALSE(ParseExpr("a and on(x) group_left b").ok());
  EXPECT_FALSE(ParseExpr("").ok());
}

// Messages Debian's promtool 2.42 prints (`promtool check rules`) for the same inputs.
TEST(ParserTest, ErrorsMatchPromtool242) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"up{job=\"a\"", "1:11: parse error: unexpected end of input inside braces"},
      {"up{job~\"a\"}", "1:7: parse error: unexpected character inside braces: '~'"},
      {"  # only a comment", "1:1: parse error: no expression found in input"},
      // String escapes, checked by the lexer at the string's start (lexEscape).
      {R"(up{job="a\q"})", "1:8: parse error: unknown escape sequence U+0071 'q'"},
      {R"(up{job="a\'"})", "1:8: parse error: unknown escape sequence U+0027 '''"},
      {R"(up{job="\x4g"})", "1:8: parse error: illegal character U+0067 'g' in escape sequence"},
      {R"(up{job="\u00e"})",
       R"(1:8: parse error: illegal character U+0022 '"' in escape sequence)"},
      {R"(up{job="\uD800"})", "1:8: parse error: escape sequence is an invalid Unicode code point"},
      {R"(up{job="\777"})", "1:8: parse error: escape sequence is an invalid Unicode code point"},
      {"up{job=`a", "1:8: parse error: unterminated raw string"},
      {"up{job=\"a\xff\"}", "1:8: parse error: invalid UTF-8 rune"},
      {"{job=\"\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"x{a=~\"(\"}", "1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`"},
      {"rate(x)",
       "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
       "vector"},
      {"foo(x)", "1:1: parse error: unknown function with name \"foo\""},
      {"sum(x[5m])",
       "1:5: parse error: expected type instant vector in aggregation expression, got range "
       "vector"},
      {"1 and x", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"sum(x) offset 5m",
       "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
       "vector selector or a subquery"},
      {"x[5m][5m]", "1:6: parse error: ranges only allowed for vector selectors"},
      {"a and on(x) group_left b", "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"rate(x[5m]", "1:11: parse error: unclosed left parenthesis"},
      {"x offset 5", "1:10: parse error: unexpected number \"5\" in offset, expected duration"},
      {"x @ foo", "1:5: parse error: unexpected identifier \"foo\" in @, expected timestamp"},
      {"sum by (a) (x) by (b)", "1:16: parse error: unexpected <by>"},
      {"topk(x)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
       "got 1"},
      {"x[5m:1m:1m]", "1:8: parse error: unexpected colon ':'"},
      {"1 + \"a\"",
       "1:5: parse error: binary expression must contain only scalar and instant vector types"},
      {"x +", "1:4: parse error: unexpected end of input"},
      {"(x", "1:3: parse error: unclosed left parenthesis"},
      {"x)", "1:3: parse error: unexpected right parenthesis ')'"},
      {"label_replace(x, \"a\")",
       "1:1: parse error: expected 5 argument(s) in call to \"label_replace\", got 2"},
      {"x{a=\"b\"}[5m] offset 1m offset 2m",
       "1:1: parse error: offset may not be set multiple times"},
      {"count_values(1, x)",
       "1:14: parse error: expected type string in aggregation parameter, got scalar"},
      {"quantile(\"a\", x)",
       "1:10: parse error: expected type scalar in aggregation parameter, got string"},
      {"-\"a\"",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"string\""},
      {"x[5x]", "1:3: parse error: bad duration syntax: \"5\""},
      {"a bool == b", "1:3: parse error: unexpected <bool>"},
      {"abs(x, y)", "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2"},
      {"round()", "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0"},
      {"histogram_quantile(x, 0.5)",
       "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", got "
       "instant vector"},
      {"sum(x) by (1)",
       "1:12: parse error: unexpected number \"1\" in grouping opts, expected label"},
      {"@ 10", "1:1: parse error: unexpected \"<Item 57385>\" <op:@>"},
      {"x @ 10 @ 20", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"1e",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e\": invalid "
       "syntax"},
      {"0x",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
       "syntax"},
      {"\"abc", "1:1: parse error: unterminated quoted string"},
      {"x unless group_right y", "1:10: parse error: unexpected <group_right>"},
      {"a + on(x) group_left(x) b",
       "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once"},
      {"vector(1)[5m]", "1:10: parse error: ranges only allowed for vector selectors"},
  };
  for (const auto& [in, want] : kCases) EXPECT_EQ(Err(in), want) << in;
  for (std::string_view ok : {"a == bool b", "x[1y2d]", "x{}", "x{a!~\"\"}"})
    EXPECT_TRUE(ParseExpr(ok).ok()) << ok;
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(100'000, '(') + "x" + std::string(100'000, ')');
  EXPECT_NE(Err(deep).find("expression nested too deeply"), std::string::npos);
  std::string minus(100'000, '-');
  EXPECT_NE(Err(minus + "x").find("expression nested too deeply"), std::string::npos);
  EXPECT_TRUE(ParseExpr(std::string(200, '(') + "x" + std::string(200, ')')).ok());
}

TEST(ParserTest, RolloutRuleExpressions) {
  // examples/phase5/rules/alerts_phase5_rates.yml
  for (std::string_view q : {
           "histogram_quantile(0.95, sum by (le) "
           "(rate(hybrid_rag_retrieval_latency_seconds_bucket[5m]))) > 0.1",
           "sum(rate(redis_cache_hits_total[5m])) / (sum(rate(redis_cache_hits_total[5m])) + "
           "sum(rate(redis_cache_misses_total[5m]))) < 0.7",
           "sum(rate(hybrid_rag_errors_total[5m])) / sum(rate(hybrid_rag_queries_total[5m])) > "
           "0.001",
           "sum(rate(llm_input_tokens_total[5m])) > 2 * sum(rate(llm_input_tokens_total[1h] offset "
           "1h))",
       }) {
    std::string printed = RoundTrip(q);
    EXPECT_EQ(RoundTrip(printed), printed) << q;  // String() output parses back to itself
  }
  EXPECT_EQ(RoundTrip("histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > 0.1"),
            "histogram_quantile(0.95, sum by(le) (rate(x_bucket[5m]))) > 0.1");
}

TEST(ParserTest, EveryPrefixOfAQueryIsAnsweredWithoutCrashing) {
  const std::string q =
      "sum by (job) (rate(http_requests_total{code=~\"5..\", job!=\"x\"}[5m] offset -1m @ 100)) / "
      "on(job) "
      "group_left(team) max_over_time(up[10m:30s] @ end()) > bool 0x1F ^ -Inf unless "
      "count_values('v', x)";
  ASSERT_TRUE(ParseExpr(q).ok()) << ParseExpr(q).status();
  for (size_t n = 0; n < q.size(); n++) {
    auto e = ParseExpr(q.substr(0, n));
    if (!e.ok())
      EXPECT_NE(std::string(e.status().message()).find("parse error"), std::string::npos);
  }
}

}  // namespace
}  // namespace vigil::promql
