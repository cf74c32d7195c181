#include "lib/codec/symbol_table.h"

#include <gtest/gtest.h>

namespace vigil::codec {
namespace {

TEST(SymbolTableTest, NumbersStringsInFirstSeenOrderWithTheEmptyStringFirst) {
  SymbolTable t;
  EXPECT_EQ(t.Ref("job"), 1u);
  EXPECT_EQ(t.Ref("api"), 2u);
  EXPECT_EQ(t.Ref("job"), 1u);
  EXPECT_EQ(t.Ref(""), 0u);
  EXPECT_EQ(t.symbols(), (std::vector<std::string>{"", "job", "api"}));
  EXPECT_EQ(t.Take(), (std::vector<std::string>{"", "job", "api"}));
  EXPECT_TRUE(t.symbols().empty());
  EXPECT_EQ(t.Ref("api"), 1u);  // numbered afresh
  t.Clear();
  EXPECT_EQ(t.Ref(""), 0u);
  EXPECT_EQ(t.symbols().size(), 1u);
}

}  // namespace
}  // namespace vigil::codec
