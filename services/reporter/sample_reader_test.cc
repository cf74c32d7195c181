#include "services/reporter/sample_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "lib/codec/samples.h"

namespace vigil::reporter {
namespace {

class SampleReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("sample_reader_test_" + std::to_string(getpid()) + "_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open((dir_ / "reporter.db").string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Add(const labels::Labels& ls, TimestampMs t, double v) {
    Store::Transaction txn(*store_);
    auto id = store_->SeriesId(ls);
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(store_->AddSample(*id, t, v).ok());
    ASSERT_TRUE(txn.Commit().ok());
  }

  // Runs a reader to the end; every batch must respect the limits.
  struct Result {
    std::vector<v1::SampleBatch> batches;
    std::vector<codec::DecodedSeries> series;  // decoded, batch after batch
  };
  Result ReadAll(SampleReader& r, size_t max_series, size_t max_samples) {
    Result out;
    for (int step = 0; !r.done() && step < 10000; ++step) {
      auto batch = r.Next(*store_);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok()) break;
      EXPECT_LE(static_cast<size_t>(batch->series_size()), max_series);
      size_t samples = 0;
      for (const auto& s : batch->series()) samples += s.samples_size();
      EXPECT_LE(samples, max_samples);
      auto decoded = codec::DecodeSampleBatch(*batch);
      EXPECT_TRUE(decoded.ok());
      for (auto& d : *decoded) out.series.push_back(std::move(d));
      if (batch->series_size() > 0) out.batches.push_back(*std::move(batch));
    }
    EXPECT_TRUE(r.done());
    return out;
  }

  static v1::Selector Sel(std::initializer_list<std::tuple<v1::LabelMatcher::Type, const char*,
                                                          const char*>> ms) {
    v1::Selector s;
    for (auto [type, name, value] : ms) {
      v1::LabelMatcher* m = s.add_matchers();
      m->set_type(type);
      m->set_name(name);
      m->set_value(value);
    }
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SampleReaderTest, RangeAndSelectorsWithStalenessBitExact) {
  labels::Labels a{{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}};
  labels::Labels b{{"__name__", "http_requests_total"}, {"code", "500"}, {"job", "api"}};
  labels::Labels c{{"__name__", "up"}, {"job", "api"}};
  labels::Labels d{{"__name__", "up"}, {"job", "db"}};
  for (int t = 0; t <= 10; ++t) {
    for (const auto* ls : {&a, &b, &c, &d}) Add(*ls, t * 1000, t);
  }
  Add(a, 11000, codec::StaleNaN());
  Add(a, 12000, std::nan(""));

  v1::ReadSamplesRequest req;
  req.set_start_ms(5000);
  req.set_end_ms(12000);
  *req.add_selectors() = Sel({{v1::LabelMatcher::EQUAL, "__name__", "http_requests_total"},
                              {v1::LabelMatcher::NOT_REGEX, "code", "5.."}});
  *req.add_selectors() = Sel({{v1::LabelMatcher::REGEX, "job", "d."}});
  auto reader = SampleReader::Create(req);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Result r = ReadAll(*reader, 1000, SampleReader::kMaxSamplesPerBatch);
  ASSERT_EQ(r.series.size(), 2u);
  EXPECT_EQ(r.series[0].labels, a);
  EXPECT_EQ(r.series[1].labels, d);
  ASSERT_EQ(r.series[0].points.size(), 8u);  // 5..10, stale marker, NaN
  EXPECT_EQ(r.series[0].points[0].t, 5000);
  EXPECT_EQ(r.series[0].points[0].v, 5);
  uint64_t bits;
  std::memcpy(&bits, &r.series[0].points[6].v, sizeof bits);
  EXPECT_EQ(bits, codec::kStaleNaNBits);
  EXPECT_TRUE(std::isnan(r.series[0].points[7].v));
  EXPECT_FALSE(codec::IsStaleNaN(r.series[0].points[7].v));
  ASSERT_EQ(r.series[1].points.size(), 6u);
  EXPECT_EQ(r.series[1].points.back().t, 10000);

  // No selectors: everything in range.
  req.clear_selectors();
  auto all = SampleReader::Create(req);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ReadAll(*all, 1000, SampleReader::kMaxSamplesPerBatch).series.size(), 4u);
}

TEST_F(SampleReaderTest, BatchesAreBoundedAndLongSeriesContinue) {
  std::vector<labels::Labels> series;
  for (int i = 0; i < 5; ++i) series.push_back(labels::Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  {
    Store::Transaction txn(*store_);
    for (size_t i = 0; i < series.size(); ++i) {
      int64_t id = *store_->SeriesId(series[i]);
      int n = i == 2 ? 25 : 3;  // one long series
      for (int t = 0; t < n; ++t) ASSERT_TRUE(store_->AddSample(id, t, i * 100 + t).ok());
    }
    ASSERT_TRUE(txn.Commit().ok());
  }
  v1::ReadSamplesRequest req;
  req.set_start_ms(0);
  req.set_end_ms(1000);
  req.set_max_series_per_batch(2);
  auto reader = SampleReader::Create(req, /*max_samples_per_batch=*/10);
  ASSERT_TRUE(reader.ok());
  Result r = ReadAll(*reader, 2, 10);
  EXPECT_GE(r.batches.size(), 5u);
  // Merging runs of equal labels gives every sample exactly once, oldest first.
  std::map<labels::Labels, std::vector<codec::Point>> merged;
  for (auto& d : r.series) {
    auto& pts = merged[d.labels];
    pts.insert(pts.end(), d.points.begin(), d.points.end());
  }
  ASSERT_EQ(merged.size(), 5u);
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& pts = merged[series[i]];
    ASSERT_EQ(pts.size(), i == 2 ? 25u : 3u) << i;
    for (size_t t = 0; t < pts.size(); ++t) {
      EXPECT_EQ(pts[t].t, static_cast<TimestampMs>(t));
      EXPECT_EQ(pts[t].v, i * 100 + t);
    }
  }
}

TEST_F(SampleReaderTest, ScanStepsAreBoundedWhenFewSeriesMatch) {
  {
    Store::Transaction txn(*store_);
    for (size_t i = 0; i < SampleReader::kMaxSeriesScannedPerStep + 1500; ++i) {
      int64_t id = *store_->SeriesId(labels::Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
      ASSERT_TRUE(store_->AddSample(id, 1, i).ok());
    }
    ASSERT_TRUE(txn.Commit().ok());
  }
  v1::ReadSamplesRequest req;
  req.set_end_ms(10);
  *req.add_selectors() = Sel({{v1::LabelMatcher::EQUAL, "i", "10600"}});
  auto reader = SampleReader::Create(req);
  ASSERT_TRUE(reader.ok());
  auto first = reader->Next(*store_);  // scans its share and returns empty-handed
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->series_size(), 0);
  EXPECT_FALSE(reader->done());
  Result r = ReadAll(*reader, 1000, SampleReader::kMaxSamplesPerBatch);
  ASSERT_EQ(r.series.size(), 1u);
  EXPECT_EQ(r.series[0].points[0].v, 10600);
}

TEST_F(SampleReaderTest, BadRequestsAreInvalidArgument) {
  v1::ReadSamplesRequest req;
  req.set_start_ms(10);
  req.set_end_ms(5);
  EXPECT_TRUE(absl::IsInvalidArgument(SampleReader::Create(req).status()));
  req.set_start_ms(0);
  *req.add_selectors() = Sel({{v1::LabelMatcher::REGEX, "job", "(unclosed"}});
  EXPECT_TRUE(absl::IsInvalidArgument(SampleReader::Create(req).status()));
  req.clear_selectors();
  v1::Selector s = Sel({{v1::LabelMatcher::EQUAL, "job", "x"}});
  s.mutable_matchers(0)->set_type(static_cast<v1::LabelMatcher::Type>(9));
  *req.add_selectors() = s;
  EXPECT_TRUE(absl::IsInvalidArgument(SampleReader::Create(req).status()));
}

}  // namespace
}  // namespace vigil::reporter
