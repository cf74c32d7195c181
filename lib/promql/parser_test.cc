#include "lib/promql/parser.h"

#include <gtest/gtest.h>

namespace vigil::promql {
namespace {

TEST(ParserTest, SelectorsAndComparisons) {
  auto e = ParseExpr("up{job=\"memory_store\", instance=~\"127.*\"} == 0");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ((*e)->kind, Expr::Kind::kBinary);
  EXPECT_EQ((*e)->binary.op, BinOp::kEql);
  const VectorSelector& sel = (*e)->binary.lhs->selector;
  EXPECT_EQ(sel.name, "up");
  ASSERT_EQ(sel.matchers.size(), 3u);
  EXPECT_EQ(sel.matchers[1].ToString(), "job=\"memory_store\"");
  EXPECT_EQ((*e)->binary.rhs->number.value, 0);

  e = ParseExpr("cost_reduction_percent < bool 75");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE((*e)->binary.return_bool);
  EXPECT_TRUE(ParseExpr("{__name__=\"x\"}").ok());
  EXPECT_TRUE(ParseExpr("90 > x").ok());
  EXPECT_TRUE(ParseExpr("x >= 1e3").ok());
}

TEST(ParserTest, ErrorsHavePositions) {
  auto msg = [](std::string_view in) {
    auto e = ParseExpr(in);
    EXPECT_FALSE(e.ok()) << in;
    return std::string(e.status().message());
  };
  EXPECT_EQ(msg("up{job=\"a\""), "1:11: parse error: unexpected end of input inside braces");
  EXPECT_EQ(msg("up{job~\"a\"}"), "1:7: parse error: expected label matching operator");
  EXPECT_EQ(msg("{job=\"\"}"), "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(msg("1 > 2"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(msg("rate(x[5m]) > 1"),
            "1:1: parse error: function or aggregation \"rate\" is not supported in this version");
  EXPECT_EQ(msg("x{a=~\"(\"}"), "1:3: parse error: invalid regular expression \"(\": missing )");
}

}  // namespace
}  // namespace vigil::promql
