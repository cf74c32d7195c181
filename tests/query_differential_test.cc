// Differential query test against the real Prometheus 2.42 (Debian's `prometheus`): the
// same samples go into Prometheus (an OpenMetrics file backfilled with `promtool tsdb
// create-blocks-from openmetrics`) and into vigil-evaluator (published on the bus, as the
// collector would). Every query of testdata/queries/*.txt must then return identical JSON
// from both /api/v1/query and /api/v1/query_range, errors included; /api/v1/series,
// /labels and /label/<name>/values must agree; and `vigil query` must print what
// `promtool query instant` prints.
//
// Staleness markers are left out of the data: OpenMetrics cannot carry them, so
// Prometheus could not be given the same input. A series that stops (and ages out of the
// 5-minute lookback) is in the data instead.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/clock/clock.h"
#include "lib/codec/samples.h"
#include "lib/labels/labels.h"
#include "prometheus/registry.h"
#include "tests/support/process.h"

namespace vigil::testing {
namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kPromtool[] = "/usr/bin/promtool";
constexpr int64_t kStepMs = 15000;
constexpr int64_t kSpanMs = 40 * 60 * 1000;

struct TestSeries {
  labels::Labels labels;
  std::string family, type;  // OpenMetrics metric family and type
  std::vector<codec::Point> points;
};

std::string OpenMetricsValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // the shortest form that reads back exactly
}

// A small deterministic generator, so failures reproduce.
class Lcg {
 public:
  double Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 53);
  }

 private:
  uint64_t state_ = 42;
};

// Counters (one with a reset), gauges (a NaN, one that stops 20 minutes before the end),
// a histogram, a gauge on fractional-second timestamps, a constant info metric, inputs
// for the math functions.
std::vector<TestSeries> MakeData(int64_t end_ms) {
  const int64_t start_ms = end_ms - kSpanMs;
  Lcg rng;
  std::vector<TestSeries> out;
  auto counter = [&](labels::Labels l, double rate, int64_t reset_at) {
    TestSeries s{std::move(l), "http_requests", "counter", {}};
    double v = 0;
    for (int64_t t = start_ms; t <= end_ms; t += kStepMs) {
      v += std::floor(rng.Next() * rate);
      if (reset_at != 0 && t == reset_at) v = 3;
      s.points.push_back({t, v});
    }
    out.push_back(std::move(s));
  };
  const int64_t reset = start_ms + 23 * 60 * 1000;
  counter({{"__name__", "http_requests_total"},
           {"job", "api"},
           {"instance", "a:80"},
           {"method", "get"},
           {"code", "200"}},
          20, 0);
  counter({{"__name__", "http_requests_total"},
           {"job", "api"},
           {"instance", "a:80"},
           {"method", "get"},
           {"code", "500"}},
          3, 0);
  counter({{"__name__", "http_requests_total"},
           {"job", "api"},
           {"instance", "b:80"},
           {"method", "get"},
           {"code", "200"}},
          15, reset);
  counter({{"__name__", "http_requests_total"},
           {"job", "web"},
           {"instance", "c:80"},
           {"method", "post"},
           {"code", "200"}},
          8, 0);

  for (const char* room : {"kitchen", "hall", "attic"}) {
    TestSeries s{
        {{"__name__", "temperature_celsius"}, {"room", room}}, "temperature_celsius", "gauge", {}};
    int i = 0;
    for (int64_t t = start_ms; t <= end_ms; t += kStepMs, ++i) {
      if (std::string(room) == "hall" && t > end_ms - 20 * 60 * 1000) break;
      double v = std::round((20 + 3 * std::sin(i / 10.0) + rng.Next()) * 10) / 10;
      if (std::string(room) == "attic" && i == 100) v = std::nan("");
      s.points.push_back({t, v});
    }
    out.push_back(std::move(s));
  }

  for (const char* q : {"q1", "q2"}) {
    TestSeries s{{{"__name__", "queue_length"}, {"queue", q}}, "queue_length", "gauge", {}};
    for (int64_t t = start_ms + 500; t <= end_ms; t += kStepMs) {
      s.points.push_back({t, std::floor(rng.Next() * 10) + 1});
    }
    out.push_back(std::move(s));
  }

  out.push_back({{{"__name__", "build_info"}, {"job", "api"}, {"version", "1.2.3"}},
                 "build_info",
                 "gauge",
                 {}});
  for (int64_t t = start_ms; t <= end_ms; t += kStepMs) out.back().points.push_back({t, 1});

  // A histogram: cumulative buckets, _sum and _count per service.
  const std::vector<std::string> les = {"0.05", "0.1", "0.5", "1", "+Inf"};
  for (const char* service : {"auth", "db"}) {
    std::vector<TestSeries> parts;
    for (const std::string& le : les) {
      parts.push_back(
          {{{"__name__", "rpc_duration_seconds_bucket"}, {"service", service}, {"le", le}},
           "rpc_duration_seconds",
           "histogram",
           {}});
    }
    parts.push_back({{{"__name__", "rpc_duration_seconds_sum"}, {"service", service}},
                     "rpc_duration_seconds",
                     "histogram",
                     {}});
    parts.push_back({{{"__name__", "rpc_duration_seconds_count"}, {"service", service}},
                     "rpc_duration_seconds",
                     "histogram",
                     {}});
    std::vector<double> counts(les.size(), 0);
    double sum = 0;
    for (int64_t t = start_ms; t <= end_ms; t += kStepMs) {
      for (int k = 0; k < 10; ++k) {
        double x = rng.Next() * rng.Next() * 1.5;
        sum += x;
        for (size_t b = 0; b < les.size(); ++b) {
          if (b == les.size() - 1 || x <= std::stod(les[b])) counts[b] += 1;
        }
      }
      for (size_t b = 0; b < les.size(); ++b) parts[b].points.push_back({t, counts[b]});
      parts[les.size()].points.push_back({t, std::round(sum * 1000) / 1000});
      parts[les.size() + 1].points.push_back({t, counts.back()});
    }
    for (auto& p : parts) out.push_back(std::move(p));
  }

  // For the math functions and operators (Go's math package, lib/promql/go_math.h): one
  // constant series per special value (subnormals, huge, near pi/2, signed zeros, NaN,
  // infinities), labelled by the value, and series of random values of many magnitudes.
  const double math_inputs[] = {0.0, -0.0, 5e-324, -5e-324, 1e-320, 2.2250738585072014e-308,
                                1e-300, 1e-20, 1e-5, 0.001, 0.1, 0.3, 0.5, 0.625,
                                0.7071067811865476, 0.9999999999999999, 1, 1.0000000000000002,
                                1.4142135623730951, 1.5, 2, M_E, 3, M_PI / 2, M_PI, 10, 21.5, 100,
                                709.78, -709.79, -740, 1000, 536870912, 1e10, 1e15, 1e22, 1e300,
                                1.7976931348623157e308, -0.1, -0.5, -1, -2, -10, -1e22, -1e300,
                                INFINITY, -INFINITY, NAN};
  for (double v : math_inputs) {
    TestSeries s{
        {{"__name__", "math_input"}, {"x", OpenMetricsValue(v)}}, "math_input", "gauge", {}};
    for (int64_t t = start_ms; t <= end_ms; t += kStepMs) s.points.push_back({t, v});
    out.push_back(std::move(s));
  }
  auto sign = [&] { return rng.Next() < 0.5 ? -1.0 : 1.0; };
  const std::pair<const char*, std::function<double()>> dists[] = {
      {"wide", [&] { return sign() * std::pow(10, -320 + 628 * rng.Next()); }},
      {"unit", [&] { return -1 + 2 * rng.Next(); }},
      {"ten", [&] { return -10 + 20 * rng.Next(); }},
      {"exp", [&] { return -745 + 1455 * rng.Next(); }},
      {"near_one", [&] { return 0.5 + 2.5 * rng.Next(); }},
      {"large", [&] { return sign() * std::pow(10, 5 + 7 * rng.Next()); }},
  };
  for (const auto& [dist, next] : dists) {
    for (const char* i : {"a", "b"}) {
      TestSeries s{{{"__name__", "math_random"}, {"dist", dist}, {"i", i}}, "math_random", "gauge",
                   {}};
      for (int64_t t = start_ms; t <= end_ms; t += kStepMs) s.points.push_back({t, next()});
      out.push_back(std::move(s));
    }
  }
  return out;
}

// One family after another; within a family, sample by sample in time order.
std::string ToOpenMetrics(const std::vector<TestSeries>& data) {
  std::vector<std::string> families;
  for (const TestSeries& s : data) {
    if (std::find(families.begin(), families.end(), s.family) == families.end()) {
      families.push_back(s.family);
    }
  }
  std::string out;
  for (const std::string& f : families) {
    std::string type;
    std::map<int64_t, std::string> by_time;
    for (const TestSeries& s : data) {
      if (s.family != f) continue;
      type = s.type;
      for (const codec::Point& p : s.points) {
        by_time[p.t] += fmt::format("{} {} {}.{:03d}\n", s.labels.ToExposition(),
                                    OpenMetricsValue(p.v), p.t / 1000, p.t % 1000);
      }
    }
    out += fmt::format("# TYPE {} {}\n", f, type);
    for (const auto& [t, lines] : by_time) out += lines;
  }
  return out + "# EOF\n";
}

std::string Seconds(int64_t ms) { return fmt::format("{}.{:03d}", ms / 1000, ms % 1000); }

// The response with its result put in a canonical order: matrices and (unless the query
// sorts) vectors by their labels.
nlohmann::json Canonical(const std::string& body, bool ordered) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return body;
  if (j.contains("data") && j["data"].is_object() && j["data"].contains("result")) {
    auto& r = j["data"]["result"];
    std::string type = j["data"].value("resultType", "");
    if (r.is_array() && (type == "matrix" || (type == "vector" && !ordered))) {
      std::sort(r.begin(), r.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a["metric"].dump() < b["metric"].dump();
      });
    }
  }
  return j;
}

std::vector<std::string> ReadCorpus(const std::string& name, int64_t end_ms) {
  // Relative to the project root, the tests' working directory.
  std::ifstream in("testdata/queries/" + name);
  EXPECT_TRUE(in) << "testdata/queries/" << name;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    for (auto [key, ms] :
         {std::pair<std::string, int64_t>{"${END}", end_ms}, {"${MID}", end_ms - kSpanMs / 2}}) {
      for (size_t p; (p = line.find(key)) != std::string::npos;) {
        line.replace(p, key.size(), std::to_string(ms / 1000));
      }
    }
    out.push_back(line);
  }
  return out;
}

class QueryDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPrometheus) || !std::filesystem::exists(kPromtool)) {
      GTEST_SKIP() << "needs Debian's prometheus and promtool";
    }
    dir_ = MakeTempDir("vigil-query-diff");
    // The data ends a little before now, on a whole minute, so every query time is fixed.
    end_ms_ = (SystemClock().NowMs() / 60000) * 60000 - 60000;
    data_ = MakeData(end_ms_);
  }
  void TearDown() override {
    if (!dir_.empty()) RemoveTree(dir_);
  }

  std::string dir_;
  int64_t end_ms_ = 0;
  std::vector<TestSeries> data_;
};

TEST_F(QueryDifferentialTest, SameAnswersAsPrometheus) {
  WriteFile(dir_ + "/data.om", ToOpenMetrics(data_));
  auto [rc, out] = RunCommand(
      {kPromtool, "tsdb", "create-blocks-from", "openmetrics", dir_ + "/data.om", dir_ + "/prom"});
  ASSERT_EQ(rc, 0) << out;
  WriteFile(dir_ + "/prometheus.yml", "global: {evaluation_interval: 1m}\n");

  const int prom_port = FreePort(), vigil_port = FreePort(), vigil_grpc = FreePort();
  Process prom({kPrometheus, "--config.file=prometheus.yml", "--storage.tsdb.path=prom",
                StrCat("--web.listen-address=127.0.0.1:", prom_port)},
               dir_, dir_ + "/prometheus.log");

  zmq::context_t ctx;
  prometheus::Registry registry;
  bus::Publisher publisher(ctx, "query-diff", registry, SystemClock());
  auto bus_ep = publisher.Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(bus_ep.ok()) << bus_ep.status();
  Process evaluator(
      {BinDir() + "/vigil-evaluator", "--config.file=prometheus.yml", "--storage.min-retention=2h",
       StrCat("--web.listen-address=127.0.0.1:", vigil_port),
       StrCat("--grpc.listen-address=127.0.0.1:", vigil_grpc),
       "--bus.publish-address=tcp://127.0.0.1:0", "--bus.connect=" + *bus_ep},
      dir_, dir_ + "/evaluator.log");

  codec::SampleBatchBuilder builder;
  for (const TestSeries& s : data_) builder.AddSeries(s.labels, s.points);
  const v1::SampleBatch batch = builder.Take();
  const std::string count_all =
      StrCat("/api/v1/query?query=", UrlEncode("count({__name__=~\".+\"})"),
             "&time=", Seconds(end_ms_ - 25 * 60 * 1000));
  const std::string want = StrCat(",\"", data_.size(), "\"]");
  auto has_all = [&](int port) {
    auto [code, body] = HttpGet(port, count_all);
    return code == 200 && body.find(want) != std::string::npos;
  };
  // Until the subscriber has joined, published batches are lost: publish again until the
  // evaluator has everything (repeats are refused as duplicates).
  ASSERT_TRUE(WaitFor(
      [&] {
        publisher.Publish(bus::kTopicSamples, batch);
        return has_all(vigil_port);
      },
      std::chrono::seconds(60)))
      << HttpGet(vigil_port, count_all).second << evaluator.Log()
      << HttpGet(vigil_port, "/metrics").second;
  ASSERT_TRUE(WaitFor([&] { return has_all(prom_port); }, std::chrono::seconds(60))) << prom.Log();

  // Queries listed in known_differences.txt may differ (they are reported, not failed);
  // one that agrees at every time fails the test, so the list is kept honest.
  const std::vector<std::string> known = ReadCorpus("known_differences.txt", end_ms_);
  std::map<std::string, int> known_mismatches;
  auto compare = [&](const std::string& query, const std::string& what, const std::string& path,
                     bool ordered) {
    auto [pc, pb] = HttpGet(prom_port, path);
    auto [vc, vb] = HttpGet(vigil_port, path);
    const bool same = pc == vc && Canonical(pb, ordered) == Canonical(vb, ordered);
    if (std::find(known.begin(), known.end(), query) != known.end()) {
      known_mismatches[query] += !same;
      if (!same)
        std::printf("known difference: %s\n  prometheus: %s\n  vigil:      %s\n", what.c_str(),
                    pb.c_str(), vb.c_str());
      return pc;
    }
    EXPECT_EQ(pc, vc) << what << "\nprometheus: " << pb << "\nvigil:      " << vb;
    EXPECT_EQ(Canonical(pb, ordered), Canonical(vb, ordered))
        << what << "\nprometheus: " << pb << "\nvigil:      " << vb;
    return pc;
  };

  // Instant queries: at the end, between samples, on a sample, and after the data.
  const std::vector<int64_t> times = {end_ms_, end_ms_ - 10 * 60 * 1000 + 7500,
                                      end_ms_ - 25 * 60 * 1000, end_ms_ + 3 * 60 * 1000,
                                      end_ms_ + 6 * 60 * 1000};
  int queries = 0, errors = 0;
  for (const std::string& q : ReadCorpus("instant.txt", end_ms_)) {
    bool ordered = q.rfind("sort", 0) == 0;
    for (int64_t t : times) {
      int code =
          compare(q, StrCat(q, " @ ", Seconds(t)),
                  StrCat("/api/v1/query?query=", UrlEncode(q), "&time=", Seconds(t)), ordered);
      ++queries;
      errors += code != 200;
    }
  }
  // Range queries over two windows and steps (one not dividing the sample interval).
  for (const std::string& q : ReadCorpus("range.txt", end_ms_)) {
    for (auto [start, end, step] : {std::tuple<int64_t, int64_t, std::string>{
                                        end_ms_ - 30 * 60 * 1000, end_ms_ + 6 * 60 * 1000, "60"},
                                    {end_ms_ - 12 * 60 * 1000 + 500, end_ms_, "37s"}}) {
      int code = compare(q, q,
                         StrCat("/api/v1/query_range?query=", UrlEncode(q),
                                "&start=", Seconds(start), "&end=", Seconds(end), "&step=", step),
                         false);
      ++queries;
      errors += code != 200;
    }
  }
  for (const std::string& q : known) {
    EXPECT_GT(known_mismatches[q], 0) << "now agrees with Prometheus; remove it from "
                                         "testdata/queries/known_differences.txt: "
                                      << q;
  }
  EXPECT_GT(queries, 700);
  EXPECT_GT(errors, 10);  // the corpus's error cases did fail on both sides

  // Metadata endpoints.
  const std::string window =
      StrCat("&start=", Seconds(end_ms_ - 10 * 60 * 1000), "&end=", Seconds(end_ms_));
  compare("", "series", "/api/v1/series?match[]=" + UrlEncode("{__name__=~\".+\"}"), false);
  compare("", "series window", "/api/v1/series?match[]=temperature_celsius" + window, false);
  compare("", "series two", "/api/v1/series?match[]=queue_length&match[]=build_info", false);
  compare("", "series none", "/api/v1/series", false);
  compare("", "series bad", "/api/v1/series?match[]=" + UrlEncode("{}"), false);
  compare("", "labels", "/api/v1/labels", false);
  compare("", "labels match", "/api/v1/labels?match[]=queue_length", false);
  compare("", "values", "/api/v1/label/job/values", false);
  compare("", "values name", "/api/v1/label/__name__/values", false);
  // Prometheus answers label values with matchers from its index: a block's series count
  // for any window the block overlaps. vigil looks at samples, so only a window where the
  // two agree is compared (docs/DIFFERENCES.md).
  compare("", "values window",
          "/api/v1/label/room/values?match[]=temperature_celsius&start=" +
              Seconds(end_ms_ - 30 * 60 * 1000),
          false);
  compare("", "values bad", "/api/v1/label/1x/values", false);
  compare("", "bad time", "/api/v1/query?query=1&time=soon", false);
  compare("", "bad step", "/api/v1/query_range?query=1&start=1&end=2&step=0", false);
  compare("", "too many points", "/api/v1/query_range?query=1&start=0&end=100000&step=1", false);
  compare("", "rules", "/api/v1/rules", false);
  compare("", "alerts", "/api/v1/alerts", false);

  // `vigil query` prints what `promtool query instant` prints; promtool reads the API's
  // "1e-07" into a model.SampleValue and prints it in 'f' form, as vigil does.
  for (const std::string q :
       {"queue_length", "rate(http_requests_total[5m])", "sum(queue_length)",
        "scalar(sum(queue_length))", "queue_length[1m]", "vector(1e-7)", "vector(-1e21)"}) {
    const std::string t = Seconds(end_ms_);
    auto [prc, pout] = RunCommand(
        {kPromtool, "query", "instant", "--time=" + t, StrCat("http://127.0.0.1:", prom_port), q});
    auto [vrc, vout] = RunCommand({BinDir() + "/vigil", "query", q, "--time=" + t,
                                   StrCat("--evaluator=127.0.0.1:", vigil_grpc)});
    auto lines = [](const std::string& s) {
      std::vector<std::string> v;
      std::istringstream in(s);
      for (std::string l; std::getline(in, l);) v.push_back(l);
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(prc, vrc) << q;
    EXPECT_EQ(lines(pout), lines(vout)) << q << "\npromtool:\n" << pout << "vigil:\n" << vout;
  }
  // `vigil query-range` prints what `promtool query range` prints (series in label order).
  for (const std::string q : {"queue_length", "sum by (job) (increase(http_requests_total[2m]))"}) {
    const std::vector<std::string> range = {"--start=" + Seconds(end_ms_ - 5 * 60 * 1000),
                                            "--end=" + Seconds(end_ms_), "--step=45s"};
    std::vector<std::string> promtool = {kPromtool, "query", "range"};
    promtool.insert(promtool.end(), range.begin(), range.end());
    promtool.insert(promtool.end(), {StrCat("http://127.0.0.1:", prom_port), q});
    std::vector<std::string> vigil = {BinDir() + "/vigil", "query-range", q,
                                      StrCat("--evaluator=127.0.0.1:", vigil_grpc)};
    vigil.insert(vigil.end(), range.begin(), range.end());
    auto [prc, pout] = RunCommand(promtool);
    auto [vrc, vout] = RunCommand(vigil);
    EXPECT_EQ(prc, vrc) << q;
    EXPECT_EQ(pout, vout) << q;
  }
}

// Replaces what depends on when each side evaluated (times, durations) by a placeholder.
nlohmann::json WithoutTimes(nlohmann::json j) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "lastEvaluation" || k == "evaluationTime" || k == "activeAt") {
        v = "<time>";
      } else {
        v = WithoutTimes(v);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) v = WithoutTimes(v);
  }
  return j;
}

// /api/v1/rules and /api/v1/alerts for the same rule file: the same JSON apart from times.
TEST_F(QueryDifferentialTest, SameRulesAndAlertsAsPrometheus) {
  WriteFile(dir_ + "/rules.yml", R"(groups:
  - name: shapes
    interval: 1s
    rules:
      - alert: Firing
        expr: vector(3) > 1
        keep_firing_for: 1m
        labels: {severity: page}
        annotations: {summary: "value {{ $value }}"}
      - alert: Pending
        expr: label_replace(vector(0.25), "instance", "a<b>", "", "")
        for: 1h
      - alert: Never
        expr: vector(1) < 0
      - record: job:constant
        expr: vector(1) * 2
        labels: {x: y}
      - record: plain
        expr: vector(1)
  - name: second
    rules:
      - record: other
        expr: vector(2)
)");
  WriteFile(dir_ + "/prometheus.yml",
            "global: {evaluation_interval: 1s}\nrule_files: [rules.yml]\n");
  const int prom_port = FreePort(), vigil_port = FreePort();
  Process prom({kPrometheus, "--config.file=prometheus.yml", "--storage.tsdb.path=prom",
                StrCat("--web.listen-address=127.0.0.1:", prom_port)},
               dir_, dir_ + "/prometheus.log");
  Process evaluator({BinDir() + "/vigil-evaluator", "--config.file=prometheus.yml",
                     StrCat("--web.listen-address=127.0.0.1:", vigil_port),
                     StrCat("--grpc.listen-address=127.0.0.1:", FreePort()),
                     "--bus.publish-address=tcp://127.0.0.1:0"},
                    dir_, dir_ + "/evaluator.log");
  // Until every group has been evaluated on both sides.
  auto evaluated = [](int port) {
    auto [code, body] = HttpGet(port, "/api/v1/rules");
    return code == 200 && body.find("\"health\":\"unknown\"") == std::string::npos &&
           body.find("\"Pending\"") != std::string::npos &&
           body.find("\"state\":\"pending\"") != std::string::npos;
  };
  ASSERT_TRUE(WaitFor([&] { return evaluated(prom_port); }, std::chrono::seconds(60)))
      << prom.Log();
  ASSERT_TRUE(WaitFor([&] { return evaluated(vigil_port); }, std::chrono::seconds(60)))
      << evaluator.Log();
  for (const std::string path :
       {"/api/v1/rules", "/api/v1/rules?type=alert", "/api/v1/rules?type=record", "/api/v1/alerts",
        "/api/v1/rules?type=bad"}) {
    auto [pc, pb] = HttpGet(prom_port, path);
    auto [vc, vb] = HttpGet(vigil_port, path);
    EXPECT_EQ(pc, vc) << path;
    EXPECT_EQ(WithoutTimes(Canonical(pb, false)), WithoutTimes(Canonical(vb, false)))
        << path << "\nprometheus: " << pb << "\nvigil:      " << vb;
  }
}

}  // namespace
}  // namespace vigil::testing
