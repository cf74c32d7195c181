#include "lib/codec/samples.h"

#include <gtest/gtest.h>

#include <cmath>

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

// Series by series, with the labels and points reused: each call sees its own series.
// Publishers send names sorted; a batch that does not is still read as a set (sorted, the
// last of a name twice wins, empty values dropped), as DecodeSampleBatch always did.
TEST(SampleBatchTest, ForEachSeriesPassesEachSeriesInTurn) {
  SampleBatchBuilder b;
  labels::Labels a({{"__name__", "http_request_duration_seconds_bucket"}, {"le", "0.1"}});
  labels::Labels c({{"__name__", "up"}, {"job", "a-rather-long-job-name-past-the-inline-size"}});
  b.AddSeries(a, {{1000, 1}, {2000, 2}});
  b.Add(c, 1000, 0);
  v1::SampleBatch batch = b.Take();
  // Symbols: "", __name__, http_..._bucket, le, 0.1, up, job, a-rather-long-...
  ASSERT_EQ(batch.symbols(6), "job");
  v1::Series* odd = batch.add_series();  // job, __name__ (unsorted), job again, empty le
  for (uint32_t r : {6u, 7u, 1u, 5u, 6u, 4u, 3u, 0u}) odd->add_label_refs(r);
  odd->add_samples()->set_timestamp_ms(3000);
  std::vector<DecodedSeries> seen;
  ASSERT_TRUE(ForEachSeries(batch, [&](const labels::Labels& ls, std::span<const Point> ps) {
                seen.push_back({ls, std::vector<Point>(ps.begin(), ps.end())});
              }).ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].labels, a);
  ASSERT_EQ(seen[0].points.size(), 2u);
  EXPECT_EQ(seen[0].points[1].v, 2);
  EXPECT_EQ(seen[1].labels, c);
  EXPECT_EQ(seen[1].points.size(), 1u);
  EXPECT_EQ(seen[2].labels, labels::Labels({{"__name__", "up"}, {"job", "0.1"}}))
      << seen[2].labels.ToString();
  // DecodeSampleBatch is the same walk.
  auto decoded = DecodeSampleBatch(batch);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*decoded)[i].labels, seen[i].labels);
}

TEST(SampleBatchTest, ForEachSeriesChecksTheWholeBatchFirst) {
  SampleBatchBuilder b;
  b.Add(labels::Labels({{"__name__", "up"}}), 1000, 1);
  v1::SampleBatch batch = b.Take();
  batch.add_series()->add_label_refs(99);  // the second series is bad
  int calls = 0;
  absl::Status s =
      ForEachSeries(batch, [&](const labels::Labels&, std::span<const Point>) { ++calls; });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("series 1"), std::string::npos) << s.message();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace vigil::codec
