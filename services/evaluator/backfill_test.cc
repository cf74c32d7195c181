// Backfill against a real vigil-reporter process fed through its bus, as on a real
// restart: the evaluator asks for the selectors of its rules over the last window.

#include "services/evaluator/backfill.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/promql/parser.h"
#include "lib/promql/selectors.h"
#include "prometheus/registry.h"
#include "tests/grpc_clients.h"
#include "tests/support/process.h"

namespace vigil::evaluator {
namespace {

using testing::BinDir;
using testing::FreePort;
using testing::HttpGet;
using testing::Process;
using testing::WaitFor;

constexpr TimestampMs kT0 = 1'700'000'000'000;

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

class BackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("backfill-test");
    ASSERT_FALSE(dir_.empty());
    testing::WriteFile(dir_ + "/rollout.yml", "rollout:\n  name: backfill\n");
    auto ep = publisher_.Bind("tcp://127.0.0.1:0");
    ASSERT_TRUE(ep.ok()) << ep.status();
    http_port_ = FreePort();
    grpc_address_ = StrCat("127.0.0.1:", FreePort());
    reporter_ = std::make_unique<Process>(
        std::vector<std::string>{
            BinDir() + "/vigil-reporter", "--config.file=rollout.yml", "--storage.path=data",
            StrCat("--web.listen-address=127.0.0.1:", http_port_),
            "--grpc.listen-address=" + grpc_address_,
            StrCat("--bus.publish-address=tcp://127.0.0.1:", FreePort()), "--bus.connect=" + *ep},
        dir_, dir_ + "/reporter.log");
    ASSERT_TRUE(WaitFor([&] { return HttpGet(http_port_, "/-/ready").first == 200; }))
        << reporter_->Log();
    // PUB/SUB drops what is sent before the subscription arrives: probe until stored.
    TimestampMs t = 0;
    ASSERT_TRUE(WaitFor([&] {
      codec::SampleBatchBuilder b;
      b.Add(labels::Labels{{"__name__", "probe"}}, ++t, 1);
      publisher_.Publish(bus::kTopicSamples, b.Take());
      return Stored() > 0;
    })) << reporter_->Log();
  }
  void TearDown() override {
    reporter_.reset();
    testing::RemoveTree(dir_);
  }

  double Stored() { return testing::Stat(grpc_address_, "samples_stored"); }

  // Publishes one batch per scrape round, as the collector does, and waits until the
  // reporter has stored all of it.
  void Publish(const std::map<labels::Labels, std::vector<codec::Point>>& data) {
    double before = Stored();
    std::map<TimestampMs, codec::SampleBatchBuilder> rounds;
    size_t n = 0;
    for (const auto& [ls, points] : data) {
      for (const codec::Point& p : points) rounds[p.t].Add(ls, p.t, p.v), ++n;
    }
    for (auto& [t, b] : rounds) publisher_.Publish(bus::kTopicSamples, b.Take());
    ASSERT_TRUE(WaitFor([&] { return Stored() == before + n; })) << reporter_->Log();
  }

  std::string dir_;
  zmq::context_t ctx_;
  prometheus::Registry registry_;
  bus::Publisher publisher_{ctx_, "collector", registry_, SystemClock()};
  int http_port_ = 0;
  std::string grpc_address_;
  std::unique_ptr<Process> reporter_;
};

TEST_F(BackfillTest, ReturnsExactlyThePublishedSamplesOfTheRulesSelectors) {
  labels::Labels ok{{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}};
  labels::Labels err{{"__name__", "http_requests_total"}, {"code", "500"}, {"job", "api"}};
  labels::Labels other_job{{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "web"}};
  labels::Labels up_db{{"__name__", "up"}, {"job", "db"}};
  labels::Labels up_api{{"__name__", "up"}, {"job", "api"}};
  // Ten minutes at 1 s; `err` goes stale twice (a target that vanished and came back).
  std::map<labels::Labels, std::vector<codec::Point>> data;
  for (int i = 0; i <= 600; ++i) {
    TimestampMs t = kT0 + i * 1000;
    data[ok].push_back({t, 10.0 * i});
    data[other_job].push_back({t, 1.0 * i});
    data[up_api].push_back({t, 1});
    if (i % 100 == 50) {
      data[err].push_back({t, codec::StaleNaN()});
    } else if (i % 100 < 50) {
      data[err].push_back({t, 0.5 * i});
    }
    if (i % 2 == 0) data[up_db].push_back({t, i % 4 == 0 ? 1.0 : 0.0});
  }
  Publish(data);

  auto expr = promql::ParseExpr(
      "sum by (job) (rate(http_requests_total{job=\"api\"}[5m])) > 0 "
      "and on() max_over_time(up{job=~\"d.\"}[1m:10s]) == 1");
  ASSERT_TRUE(expr.ok()) << expr.status();
  auto selectors = promql::ExtractSelectors(**expr);
  TimestampMs start = kT0 + 290'500, end = kT0 + 600'000;
  auto got = Backfill(grpc_address_, start, end, selectors, absl::Seconds(20));
  ASSERT_TRUE(got.ok()) << got.status();

  // The oracle: what was published, in range, of the selected series.
  std::map<labels::Labels, std::vector<codec::Point>> want;
  for (const labels::Labels& ls : {ok, err, up_db}) {
    for (const codec::Point& p : data[ls]) {
      if (p.t >= start && p.t <= end) want[ls].push_back(p);
    }
  }
  std::map<labels::Labels, std::vector<codec::Point>> have;
  for (const codec::DecodedSeries& s : *got) {
    EXPECT_TRUE(have.emplace(s.labels, s.points).second) << "twice: " << s.labels.ToString();
  }
  ASSERT_EQ(have.size(), want.size());
  size_t stale = 0;
  for (const auto& [ls, points] : want) {
    ASSERT_TRUE(have.contains(ls)) << ls.ToString();
    const auto& h = have[ls];
    ASSERT_EQ(h.size(), points.size()) << ls.ToString();
    for (size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ(h[i].t, points[i].t);
      EXPECT_EQ(Bits(h[i].v), Bits(points[i].v)) << ls.ToString() << " at " << h[i].t;
      stale += codec::IsStaleNaN(h[i].v);
    }
  }
  EXPECT_EQ(stale, 3u);  // at 350 s, 450 s, 550 s

  // No selectors: every series with samples in range.
  auto all = Backfill(grpc_address_, kT0, end, {}, absl::Seconds(20));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 5u);  // the probe's samples are before kT0
}

TEST_F(BackfillTest, LongSeriesSpanningSeveralBatchesComesBackWhole) {
  // More samples than one reporter batch holds (SampleReader::kMaxSamplesPerBatch).
  labels::Labels ls{{"__name__", "fast"}, {"job", "api"}};
  std::map<labels::Labels, std::vector<codec::Point>> data;
  for (int i = 0; i < 45'000; ++i) data[ls].push_back({kT0 + i, static_cast<double>(i)});
  double before = Stored();
  codec::SampleBatchBuilder b;
  for (const codec::Point& p : data[ls]) {
    b.Add(ls, p.t, p.v);
    if (b.series_count() == 5000) publisher_.Publish(bus::kTopicSamples, b.Take());
  }
  ASSERT_TRUE(WaitFor([&] { return Stored() == before + 45'000; })) << reporter_->Log();

  auto sel = labels::Matcher::Create(labels::MatchType::kEqual, "__name__", "fast");
  ASSERT_TRUE(sel.ok());
  auto got = Backfill(grpc_address_, kT0, kT0 + 1'000'000, {{*sel}}, absl::Seconds(20));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].labels, ls);
  ASSERT_EQ((*got)[0].points.size(), 45'000u);
  for (int i = 0; i < 45'000; ++i) {
    ASSERT_EQ((*got)[0].points[i].t, kT0 + i);
    ASSERT_EQ((*got)[0].points[i].v, i);
  }
}

TEST_F(BackfillTest, UnreachableReporterIsUnavailable) {
  auto got = Backfill(StrCat("127.0.0.1:", FreePort()), kT0, kT0 + 1000, {}, absl::Seconds(5));
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
}

}  // namespace
}  // namespace vigil::evaluator
