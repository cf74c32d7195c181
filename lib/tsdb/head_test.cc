#include "lib/tsdb/head.h"

#include <gtest/gtest.h>

namespace vigil::tsdb {
namespace {

TEST(HeadTest, AppendSelectTruncate) {
  Head h;
  labels::Labels a({{"__name__", "up"}, {"job", "a"}});
  labels::Labels b({{"__name__", "up"}, {"job", "b"}});
  EXPECT_TRUE(h.Append(a, 1000, 1));
  EXPECT_TRUE(h.Append(a, 2000, 0));
  EXPECT_FALSE(h.Append(a, 2000, 5));  // duplicate timestamp
  EXPECT_FALSE(h.Append(a, 1500, 5));  // out of order
  EXPECT_TRUE(h.Append(b, 1000, 1));
  auto m = labels::Matcher::Create(labels::MatchType::kEqual, "job", "a");
  auto sel = h.Select({*m});
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0]->points.size(), 2u);
  EXPECT_EQ(h.num_samples(), 3u);
  h.Truncate(1500);
  EXPECT_EQ(h.num_series(), 1u);
  EXPECT_EQ(h.num_samples(), 1u);
}

}  // namespace
}  // namespace vigil::tsdb
