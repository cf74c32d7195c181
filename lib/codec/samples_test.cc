#include "lib/codec/samples.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vigil::codec {
namespace {

TEST(StaleNaNTest, BitPattern) {
  EXPECT_TRUE(std::isnan(StaleNaN()));
  EXPECT_TRUE(IsStaleNaN(StaleNaN()));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

TEST(SampleBatchTest, RoundTripsAndSharesSymbols) {
  SampleBatchBuilder b;
  labels::Labels a({{"__name__", "up"}, {"job", "api"}, {"instance", "h:1"}});
  labels::Labels c({{"__name__", "up"}, {"job", "api"}, {"instance", "h:2"}});
  b.Add(a, 1000, 1);
  b.Add(c, 1000, StaleNaN());
  v1::SampleBatch batch = b.Take();
  // "", __name__, up, instance, h:1, job, api, h:2
  EXPECT_EQ(batch.symbols_size(), 8);
  auto decoded = DecodeSampleBatch(batch);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].labels, a);
  EXPECT_EQ((*decoded)[1].labels, c);
  EXPECT_TRUE(IsStaleNaN((*decoded)[1].points[0].v));
  EXPECT_EQ(b.Take().series_size(), 0);
}

TEST(SampleBatchTest, RejectsMalformed) {
  v1::SampleBatch batch;
  batch.add_symbols("");
  batch.add_series()->add_label_refs(0);
  EXPECT_FALSE(DecodeSampleBatch(batch).ok());
  batch.mutable_series(0)->add_label_refs(7);
  EXPECT_FALSE(DecodeSampleBatch(batch).ok());
}

}  // namespace
}  // namespace vigil::codec
