#include "services/collector/scrape_manager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "lib/base/format.h"
#include "lib/codec/samples.h"

namespace vigil::collector {
namespace {

promconfig::PrometheusConfig Config(const std::string& yaml) {
  auto cfg = promconfig::ParsePrometheusConfig("p.yml", yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

// Decoded batch as exposition string -> value, for readable assertions.
std::map<std::string, double> Samples(const v1::SampleBatch& batch) {
  std::map<std::string, double> out;
  auto decoded = codec::DecodeSampleBatch(batch);
  EXPECT_TRUE(decoded.ok());
  for (const auto& s : *decoded) {
    out[s.labels.ToExposition()] = codec::IsStaleNaN(s.points[0].v) ? -12345 : s.points[0].v;
  }
  return out;
}

constexpr double kStale = -12345;

const char* kConfig = R"(
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    static_configs:
      - targets: ["h:1"]
        labels: {env: canary}
)";

TEST(ScrapeManagerTest, SchedulesWithinTheInterval) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 1'000'000);
  ASSERT_EQ(m.targets().size(), 1u);
  TimestampMs first = *m.NextDeadline();
  EXPECT_GE(first, 1'000'000);
  EXPECT_LT(first, 1'010'000);
  EXPECT_TRUE(m.TakeDue(first - 1).empty());
  auto due = m.TakeDue(first);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].url, "http://h:1/metrics");
  EXPECT_TRUE(m.TakeDue(first).empty());  // one scrape per target at a time
  m.OnScrapeDone(due[0].target_key, first, {"x 1\n", "", 0.01});
  EXPECT_EQ(*m.NextDeadline(), first + 10'000);
}

TEST(ScrapeManagerTest, SamplesCarryTargetLabelsAndReportSeries) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  auto due = m.TakeDue(*m.NextDeadline());
  auto batch = m.OnScrapeDone(due[0].target_key, 5000,
                              {"# TYPE x gauge\nx{a=\"1\"} 7\ny 2 1234\n", "", 0.25});
  ASSERT_NE(batch, nullptr);
  EXPECT_TRUE(batch->end_of_round());
  EXPECT_EQ(batch->round_timestamp_ms(), 5000);
  auto s = Samples(*batch);
  EXPECT_EQ(s["x{a=\"1\",env=\"canary\",instance=\"h:1\",job=\"app\"}"], 7);
  EXPECT_EQ(s["y{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 2);
  EXPECT_EQ(s["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 1);
  EXPECT_EQ(s["scrape_duration_seconds{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0.25);
  EXPECT_EQ(s["scrape_samples_scraped{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 2);
  EXPECT_EQ(s["scrape_series_added{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 2);
  // Explicit timestamps are honoured.
  auto decoded = *codec::DecodeSampleBatch(*batch);
  for (const auto& d : decoded) {
    if (d.labels.Get("__name__") == "y") EXPECT_EQ(d.points[0].t, 1234);
    if (d.labels.Get("__name__") == "x") EXPECT_EQ(d.points[0].t, 5000);
  }
}

TEST(ScrapeManagerTest, ClashingLabelsAreExported) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  auto due = m.TakeDue(*m.NextDeadline());
  auto s = Samples(*m.OnScrapeDone(due[0].target_key, 1, {"x{job=\"other\"} 1\n", "", 0}));
  EXPECT_EQ(s.count("x{env=\"canary\",exported_job=\"other\",instance=\"h:1\",job=\"app\"}"), 1u);
}

TEST(ScrapeManagerTest, DisappearedSeriesAndFailedScrapesGoStale) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  m.OnScrapeDone(key, 1000, {"a 1\nb 2\n", "", 0});
  m.TakeDue(11000);
  auto s = Samples(*m.OnScrapeDone(key, 11000, {"a 1\n", "", 0}));
  EXPECT_EQ(s["b{env=\"canary\",instance=\"h:1\",job=\"app\"}"], kStale);
  EXPECT_EQ(s["scrape_series_added{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);

  // A series with an explicit timestamp is not tracked for staleness but is not "added"
  // again on every scrape either (found by the differential test against Prometheus).
  m.TakeDue(15000);
  m.OnScrapeDone(key, 15000, {"a 1\nts 1 14000\n", "", 0});
  m.TakeDue(16000);
  s = Samples(*m.OnScrapeDone(key, 16000, {"a 1\nts 1 15500\n", "", 0}));
  EXPECT_EQ(s["scrape_series_added{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);

  m.TakeDue(21000);
  s = Samples(*m.OnScrapeDone(key, 21000, {"", "server returned HTTP status 503", 0}));
  EXPECT_EQ(s["a{env=\"canary\",instance=\"h:1\",job=\"app\"}"], kStale);
  EXPECT_EQ(s["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);
  EXPECT_EQ(m.targets()[0].health, Health::kDown);
  EXPECT_EQ(m.targets()[0].last_error, "server returned HTTP status 503");
}

TEST(ScrapeManagerTest, RepeatedLinesReuseTheCacheAndEquivalentTextsAreOneSeries) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  m.OnScrapeDone(key, 1000, {"a{x=\"1\"} 1\nb 2\n", "", 0});
  // Same texts, new values; a second spelling of a{x="1"} is a duplicate (first wins).
  auto s = Samples(*m.OnScrapeDone(key, 11000, {"a{x=\"1\"} 3\na{ x=\"1\" } 4\nb 5\n", "", 0}));
  EXPECT_EQ(s["a{env=\"canary\",instance=\"h:1\",job=\"app\",x=\"1\"}"], 3);
  EXPECT_EQ(s["b{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 5);
  EXPECT_EQ(s["scrape_samples_scraped{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 3);
  EXPECT_EQ(s["scrape_samples_post_metric_relabeling{env=\"canary\",instance=\"h:1\",job=\"app\"}"],
            2);
  EXPECT_EQ(s["scrape_series_added{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);
  EXPECT_EQ(s.size(), 7u);  // 2 series + 5 report series, no staleness markers
}

TEST(ScrapeManagerTest, ChurningSeriesKeepTheCacheBoundedAndGoStale) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  for (int i = 0; i < 500; ++i) {
    std::string body = StrCat("steady 1\nchurn{n=\"", i, "\"} ", i, "\n");
    auto s = Samples(*m.OnScrapeDone(key, 1000 + i * 10'000, {body, "", 0}));
    EXPECT_EQ(s[StrCat("churn{env=\"canary\",instance=\"h:1\",job=\"app\",n=\"", i, "\"}")], i);
    if (i > 0) {
      EXPECT_EQ(s[StrCat("churn{env=\"canary\",instance=\"h:1\",job=\"app\",n=\"", i - 1, "\"}")],
                kStale);
      EXPECT_EQ(s["scrape_series_added{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 1);
      EXPECT_EQ(s.size(), 8u);  // steady, churn, churn's predecessor stale, 5 report series
    }
  }
  const ScrapeCache& c = m.targets()[0].cache;
  EXPECT_LT(c.series.size(), 100u);
  EXPECT_LT(c.lines.size(), 100u);
  EXPECT_LT(c.symbols.symbols().size(), 200u);
}

TEST(ScrapeManagerTest, ReloadedMetricRelabelConfigsApplyToCachedLines) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  m.OnScrapeDone(key, 1000, {"a 1\nb 1\n", "", 0});
  m.ApplyConfig(Config(StrCat(kConfig, R"(    metric_relabel_configs:
      - source_labels: [__name__]
        regex: b
        action: drop
)")),
                2000);
  auto s = Samples(*m.OnScrapeDone(key, 11000, {"a 2\nb 2\n", "", 0}));
  EXPECT_EQ(s["a{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 2);
  EXPECT_EQ(s["b{env=\"canary\",instance=\"h:1\",job=\"app\"}"], kStale);
}

TEST(ScrapeManagerTest, GarbageIsUpZeroWithThePosition) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto s = Samples(*m.OnScrapeDone(key, 1, {"ok 1\n<html>oops</html>\n", "", 0}));
  EXPECT_EQ(s["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);
  EXPECT_EQ(s.count("ok{env=\"canary\",instance=\"h:1\",job=\"app\"}"), 0u);  // all or nothing
  EXPECT_EQ(m.targets()[0].last_error, "parse error: line 2, column 1: invalid metric name");
}

TEST(ScrapeManagerTest, AParseErrorReportsWhatWasReadBeforeItAsPrometheusDoes) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto report = [&](TimestampMs now, const char* body) {
    m.TakeDue(now);
    auto s = Samples(*m.OnScrapeDone(key, now, {body, "", 0}));
    auto get = [&](const char* name) {
      auto it = s.find(StrCat(name, "{env=\"canary\",instance=\"h:1\",job=\"app\"}"));
      return it == s.end() ? -1 : it->second;  // -1: no sample
    };
    return std::vector<double>{get("up"), get("scrape_samples_scraped"),
                               get("scrape_samples_post_metric_relabeling"),
                               get("scrape_series_added"), get("a"), get("b"), get("c")};
  };
  using V = std::vector<double>;
  EXPECT_EQ(report(10000, "a 1\nb 1\n"), (V{1, 2, 2, 2, 1, 1, -1}));
  // Two samples read, one of them new, then garbage: nothing stored; `b`, not reached,
  // goes stale; `a`, read before the error, does not (Prometheus 2.42 tracked it).
  EXPECT_EQ(report(20000, "a 2\nc 2\nc{ 3\nd 4\n"), (V{0, 2, 2, 1, -1, kStale, -1}));
  // Prometheus's cache kept `c` from the failed scrape: not added again, failed or not.
  EXPECT_EQ(report(30000, "a 2\nc 2\nc{ 3\n"), (V{0, 2, 2, 0, -1, -1, -1}));
  EXPECT_EQ(report(40000, "a 3\nb 3\nc 3\n"), (V{1, 3, 3, 0, 3, 3, 3}));
  // A successful scrape forgets what it did not see: `b` is new again after it.
  EXPECT_EQ(report(50000, "a 4\n"), (V{1, 1, 1, 0, 4, kStale, kStale}));
  EXPECT_EQ(report(60000, "a 5\nb 5\n"), (V{1, 2, 2, 1, 5, 5, -1}));
  // A series read only by a failed scrape gets a marker when the next scrape lacks it.
  EXPECT_EQ(report(70000, "a 6\nc 6\nc{\n"), (V{0, 2, 2, 1, -1, kStale, -1}));
  EXPECT_EQ(report(80000, "a 7\n"), (V{1, 1, 1, 0, 7, -1, kStale}));
}

TEST(ScrapeManagerTest, ParsesOpenMetricsWhenTheTargetAnswersInIt) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  constexpr char kOm[] = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  auto batch = m.OnScrapeDone(key, 5000,
                              {"# TYPE c counter\n"
                               "c_total 3 1.5 # {trace_id=\"x\"} 1\n"
                               "c_created 1000.25\n"
                               "# TYPE s stateset\n"
                               "s{s=\"a\"} 1\n"
                               "# EOF\n",
                               "", 0, kOm});
  auto s = Samples(*batch);
  EXPECT_EQ(s["c_total{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 3);
  EXPECT_EQ(s["c_created{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 1000.25);
  EXPECT_EQ(s["s{env=\"canary\",instance=\"h:1\",job=\"app\",s=\"a\"}"], 1);
  EXPECT_EQ(s["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 1);
  auto decoded = codec::DecodeSampleBatch(*batch);
  ASSERT_TRUE(decoded.ok());
  for (const auto& d : *decoded) {
    if (d.labels.Get("__name__") == "c_total") EXPECT_EQ(d.points[0].t, 1500);  // seconds -> ms
  }
  // An OpenMetrics answer must end with "# EOF"; without it the scrape fails.
  m.TakeDue(20000);
  auto bad = Samples(*m.OnScrapeDone(key, 20000, {"c_total 1\n", "", 0, kOm}));
  EXPECT_EQ(bad["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], 0);
  EXPECT_EQ(m.targets()[0].last_error,
            "parse error: line 2, column 1: data does not end with \"# EOF\"");
}

TEST(ScrapeManagerTest, RelabelConfigsShapeTargetsAsInPrometheus) {
  ScrapeManager m;
  m.ApplyConfig(Config(R"(
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    scrape_interval: 10s
    params:
      module: [http_2xx]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:9115
      - source_labels: [__address__]
        target_label: __meta_seen
      - source_labels: [__param_target]
        regex: skip\..*
        action: drop
    static_configs:
      - targets: [example.com, skip.example.com]
        labels: {team: web}
  - job_name: plain
    scrape_interval: 10s
    relabel_configs:
      - target_label: __scrape_interval__
        replacement: 30s
      - target_label: __scheme__
        replacement: https
    static_configs:
      - targets: ["h:2"]
)"),
                0);
  // skip.example.com was dropped by relabelling: it is not a target.
  ASSERT_EQ(m.targets().size(), 2u);
  const Target& probe = m.targets()[0];
  EXPECT_EQ(probe.url, "http://127.0.0.1:9115/probe?module=http_2xx&target=example.com");
  // __meta_* and other "__" labels are gone; instance came from relabelling.
  EXPECT_EQ(probe.labels,
            labels::Labels({{"instance", "example.com"}, {"job", "blackbox"}, {"team", "web"}}));
  const Target& plain = m.targets()[1];
  EXPECT_EQ(plain.url, "https://h:2/metrics");
  EXPECT_EQ(plain.labels, labels::Labels({{"instance", "h:2"}, {"job", "plain"}}));  // default
  EXPECT_EQ(plain.interval, absl::Seconds(30));
}

TEST(ScrapeManagerTest, RelabelledIntervalsOfZeroOrTimeoutsAboveTheIntervalDropTheTarget) {
  // Prometheus 2.42 PopulateLabels: "scrape interval cannot be 0", "scrape timeout cannot
  // be 0", "scrape timeout cannot be greater than scrape interval": no target.
  ScrapeManager m;
  m.ApplyConfig(Config(R"(
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    relabel_configs:
      - source_labels: [__address__]
        regex: "zero-timeout:.*"
        target_label: __scrape_timeout__
        replacement: 0s
      - source_labels: [__address__]
        regex: "zero-interval:.*"
        target_label: __scrape_interval__
        replacement: 0s
      - source_labels: [__address__]
        regex: "long-timeout:.*"
        target_label: __scrape_timeout__
        replacement: 11s
    static_configs:
      - targets: ["zero-timeout:1", "zero-interval:1", "long-timeout:1", "kept:1"]
)"),
                0);
  ASSERT_EQ(m.targets().size(), 1u);
  EXPECT_EQ(m.targets()[0].url, "http://kept:1/metrics");
}

TEST(ScrapeManagerTest, MetricRelabelConfigsApplyToScrapedSamples) {
  ScrapeManager m;
  m.ApplyConfig(Config(R"(
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
      - source_labels: [instance]
        target_label: host
        regex: (.*):.*
    static_configs:
      - targets: ["h:1"]
)"),
                0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto s = Samples(
      *m.OnScrapeDone(key, 1000, {"go_goroutines 5\ngo_threads 3\nhttp_requests 7\n", "", 0}));
  EXPECT_EQ(s.count("go_goroutines{instance=\"h:1\",job=\"app\"}"), 0u);
  EXPECT_EQ(s["http_requests{host=\"h\",instance=\"h:1\",job=\"app\"}"], 7);
  EXPECT_EQ(s["scrape_samples_scraped{instance=\"h:1\",job=\"app\"}"], 3);
  EXPECT_EQ(s["scrape_samples_post_metric_relabeling{instance=\"h:1\",job=\"app\"}"], 1);
  EXPECT_EQ(s["scrape_series_added{instance=\"h:1\",job=\"app\"}"], 1);
}

TEST(ScrapeManagerTest, RemovedTargetsGoStaleAndKeptOnesKeepState) {
  ScrapeManager m;
  m.ApplyConfig(Config(kConfig), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  m.OnScrapeDone(key, 1000, {"a 1\n", "", 0});
  EXPECT_EQ(m.ApplyConfig(Config(kConfig), 2000).series_size(), 0);
  EXPECT_EQ(m.targets()[0].health, Health::kUp);
  auto s = Samples(m.ApplyConfig(Config("scrape_configs: []\n"), 3000));
  EXPECT_EQ(s["a{env=\"canary\",instance=\"h:1\",job=\"app\"}"], kStale);
  EXPECT_EQ(s["up{env=\"canary\",instance=\"h:1\",job=\"app\"}"], kStale);
  EXPECT_TRUE(m.targets().empty());
  EXPECT_EQ(m.OnScrapeDone(key, 4000, {"a 1\n", "", 0}), nullptr);
}

}  // namespace
}  // namespace vigil::collector

namespace vigil::collector {
namespace {

TEST(ShardTest, ShardsSplitTargetsWithNoOverlapAndNoGap) {
  std::string targets;
  for (int i = 0; i < 300; ++i) targets += StrCat(i ? ", " : "", "\"host-", i, ":9100\"");
  auto cfg = Config(StrCat("scrape_configs:\n  - job_name: node\n    static_configs:\n"
                           "      - targets: [",
                           targets, "]\n"));
  std::map<std::string, int> owners;
  for (uint64_t i = 0; i < 3; ++i) {
    ScrapeManager m;
    m.SetShard(Shard{i, 3});
    m.ApplyConfig(cfg, 0);
    EXPECT_EQ(m.targets().size() + m.other_shard_targets(), 300u);
    EXPECT_GT(m.targets().size(), 60u);  // md5 spreads them
    for (const Target& t : m.targets()) {
      ++owners[t.address];
      EXPECT_EQ(relabel::HashModValue(t.address) % 3, i);
    }
  }
  EXPECT_EQ(owners.size(), 300u);
  for (const auto& [address, n] : owners) EXPECT_EQ(n, 1) << address;
}

TEST(ShardTest, TheAddressAfterRelabellingIsWhatIsHashed) {
  auto cfg = Config(R"(
scrape_configs:
  - job_name: blackbox
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - target_label: __address__
        replacement: prober:9115
    static_configs:
      - targets: [a, b, c, d, e, f, g, h]
)");
  // Every target now has the same address, so one shard gets them all.
  uint64_t owner = relabel::HashModValue("prober:9115") % 2;
  for (uint64_t i = 0; i < 2; ++i) {
    ScrapeManager m;
    m.SetShard(Shard{i, 2});
    m.ApplyConfig(cfg, 0);
    EXPECT_EQ(m.targets().size(), i == owner ? 8u : 0u);
  }
}

TEST(ShardTest, ParsesIOverN) {
  auto s = ParseShard("1/3");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 1u);
  EXPECT_EQ(s->count, 3u);
  EXPECT_EQ(s->ToString(), "1/3");
  for (const char* bad : {"3/3", "1", "a/2", "0/0", "-1/2", "1/2/3", ""}) {
    EXPECT_FALSE(ParseShard(bad).ok()) << bad;
  }
  EXPECT_EQ(std::string(ParseShard("2/2").status().message()),
            "invalid --shard \"2/2\": want i/N with 0 <= i < N, e.g. 0/2");
  EXPECT_TRUE(Shard{}.Owns("anything"));
}

}  // namespace
}  // namespace vigil::collector

namespace vigil::collector {
namespace {

std::string LimitConfig(const std::string& limits) {
  return StrCat("scrape_configs:\n  - job_name: app\n    scrape_interval: 10s\n", limits,
                "    static_configs:\n      - targets: [\"h:1\"]\n");
}

// As Prometheus 2.42 does (observed): the samples appended before the limit was hit count
// as present for staleness, the others of the previous scrape go stale.
TEST(LimitsTest, SampleLimitFailsTheScrapeAndMarksTheSeriesOverItStale) {
  ScrapeManager m;
  m.ApplyConfig(Config(LimitConfig("    sample_limit: 2\n")), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto s = Samples(*m.OnScrapeDone(key, 1000, {"a 1\nb 2\n", "", 0}));
  EXPECT_EQ(s["up{instance=\"h:1\",job=\"app\"}"], 1);
  s = Samples(*m.OnScrapeDone(key, 11000, {"a 1\nc 3\nb 2\n", "", 0}));
  EXPECT_EQ(s["up{instance=\"h:1\",job=\"app\"}"], 0);
  EXPECT_EQ(s.count("a{instance=\"h:1\",job=\"app\"}"), 0u);  // no sample, no marker
  EXPECT_EQ(s["b{instance=\"h:1\",job=\"app\"}"], kStale);    // over the limit
  EXPECT_EQ(s.count("c{instance=\"h:1\",job=\"app\"}"), 0u);
  EXPECT_EQ(s["scrape_samples_scraped{instance=\"h:1\",job=\"app\"}"], 3);
  EXPECT_EQ(s["scrape_samples_post_metric_relabeling{instance=\"h:1\",job=\"app\"}"], 3);
  EXPECT_EQ(m.targets()[0].health, Health::kDown);
  EXPECT_EQ(m.targets()[0].last_error, "sample limit exceeded");
  // Back under the limit: up again; Prometheus's cache still has both series.
  s = Samples(*m.OnScrapeDone(key, 21000, {"a 1\nb 2\n", "", 0}));
  EXPECT_EQ(s["up{instance=\"h:1\",job=\"app\"}"], 1);
  EXPECT_EQ(s["a{instance=\"h:1\",job=\"app\"}"], 1);
  EXPECT_EQ(s["scrape_series_added{instance=\"h:1\",job=\"app\"}"], 0);
}

// The report series Prometheus 2.42 stored for this sequence (sample_limit: 2), observed
// by scraping a target that served these bodies: samples over the limit are counted as
// scraped but neither added nor cached, so `b` is new when the limit lets it in.
TEST(LimitsTest, SeriesAddedAcrossLimitAndParseFailuresAsPrometheus242) {
  ScrapeManager m;
  m.ApplyConfig(Config(LimitConfig("    sample_limit: 2\n")), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto report = [&](TimestampMs now, const char* body) {
    auto s = Samples(*m.OnScrapeDone(key, now, {body, "", 0}));
    std::vector<double> out;
    for (const char* name : {"up", "scrape_samples_scraped",
                             "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
      out.push_back(s[StrCat(name, "{instance=\"h:1\",job=\"app\"}")]);
    }
    return out;
  };
  using V = std::vector<double>;
  EXPECT_EQ(report(1000, "a 2\nc 2\nb 2\n"), (V{0, 3, 3, 2}));
  EXPECT_EQ(report(2000, "a 2\nc 2\nb 2\n"), (V{0, 3, 3, 0}));
  EXPECT_EQ(report(3000, "a 2\nd 2\nd{ 3\n"), (V{0, 2, 2, 1}));
  EXPECT_EQ(report(4000, "a 2\nd 2\nd{ 3\n"), (V{0, 2, 2, 0}));
  EXPECT_EQ(report(5000, "a 3\nb 3\n"), (V{1, 2, 2, 1}));
  EXPECT_EQ(report(6000, "a 3\nb 3\n"), (V{1, 2, 2, 0}));
}

TEST(LimitsTest, LabelLimitsUsePrometheusErrors) {
  struct Case {
    std::string limits;
    std::string body;
    std::string error;
  };
  std::vector<Case> cases = {
      {"    label_limit: 3\n", "ok 1\nm{a=\"1\",b=\"2\"} 1\n",
       "label_limit exceeded (metric: m, number of labels: 5, limit: 3)"},
      {"    label_name_length_limit: 8\n", "m{long_name_x=\"1\"} 1\n",
       "label_name_length_limit exceeded (metric: m, label name: long_name_x, length: 11, "
       "limit: 8)"},
      {"    label_value_length_limit: 3\n", "m{a=\"a\\\"b\\\\cd\"} 1\n",
       "label_value_length_limit exceeded (metric: m, label name: a, value: \"a\\\"b\\\\cd\", "
       "length: 6, limit: 3)"},
  };
  for (const Case& c : cases) {
    ScrapeManager m;
    m.ApplyConfig(Config(LimitConfig(c.limits)), 0);
    std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
    auto s = Samples(*m.OnScrapeDone(key, 1000, {c.body, "", 0}));
    EXPECT_EQ(s["up{instance=\"h:1\",job=\"app\"}"], 0) << c.limits;
    EXPECT_EQ(m.targets()[0].last_error, c.error);
    EXPECT_EQ(s.size(), 5u) << c.limits;  // only the report series
  }
  // Within the limits (target labels count: job, instance, __name__, a = 4).
  ScrapeManager m;
  m.ApplyConfig(Config(LimitConfig("    label_limit: 4\n    label_value_length_limit: 5\n")), 0);
  std::string key = m.TakeDue(*m.NextDeadline())[0].target_key;
  auto s = Samples(*m.OnScrapeDone(key, 1000, {"m{a=\"12345\"} 1\n", "", 0}));
  EXPECT_EQ(s["up{instance=\"h:1\",job=\"app\"}"], 1);
  EXPECT_EQ(s["m{a=\"12345\",instance=\"h:1\",job=\"app\"}"], 1);
}

TEST(LimitsTest, BodySizeLimitReachesTheScrapeRequest) {
  ScrapeManager m;
  m.ApplyConfig(Config(LimitConfig("    body_size_limit: 2KiB\n")), 0);
  auto due = m.TakeDue(*m.NextDeadline());
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].body_size_limit, 2048u);
}

}  // namespace
}  // namespace vigil::collector
