// Differential test against the real Prometheus 2.42 (Debian's `prometheus`): both scrape
// the same targets — the real prometheus-node-exporter and a target serving tricky
// payloads — and the samples vigil's collector publishes must equal what Prometheus
// stores: the same series (names and labels), the same values, the same staleness.

#include <httplib.h>
#include <signal.h>

#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/base/format.h"
#include "lib/bus/subscriber.h"
#include "lib/codec/samples.h"
#include "services/collector/testing/test_pki.h"
#include "tests/grpc_clients.h"
#include "tests/support/process.h"

namespace vigil::testing {
namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kNodeExporter[] = "/usr/bin/prometheus-node-exporter";

// A target whose payload the test controls.
class TrickyTarget {
 public:
  explicit TrickyTarget(std::string content_type = "text/plain; version=0.0.4; charset=utf-8")
      : content_type_(std::move(content_type)) {
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.set_content(body_, content_type_);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TrickyTarget() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void Serve(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
  }

 private:
  const std::string content_type_;
  httplib::Server server_;
  std::thread thread_;
  int port_;
  std::mutex mu_;
  std::string body_;
};

std::string TrickyBody(bool with_vanishing, int64_t explicit_ts_ms) {
  std::string b =
      "# HELP tricky_escapes Label values with escapes.\n"
      "# TYPE tricky_escapes gauge\n"
      "tricky_escapes{path=\"C:\\\\dir\\\\\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n"
      "# TYPE tricky_hist histogram\n"
      "tricky_hist_bucket{le=\"0.1\"} 1\n"
      "tricky_hist_bucket{le=\"1\"} 3\n"
      "tricky_hist_bucket{le=\"+Inf\"} 4\n"
      "tricky_hist_sum 2.5\n"
      "tricky_hist_count 4\n"
      "# TYPE tricky_summary summary\n"
      "tricky_summary{quantile=\"0.5\"} 0.25\n"
      "tricky_summary{quantile=\"0.99\"} NaN\n"
      "tricky_summary_sum 10\n"
      "tricky_summary_count 7\n"
      "tricky_inf +Inf\n"
      "tricky_neginf -Inf\n"
      "tricky_small 1.5e-9\n"
      "tricky_untyped{job=\"inner\",instance=\"elsewhere\"} 3\n";
  b += StrCat("tricky_timestamped 42 ", explicit_ts_ms, "\n");
  if (with_vanishing) b += "tricky_vanishing{which=\"one\"} 7\n";
  return b;
}

// What the collector published, as the last value of each series.
class BusRecorder {
 public:
  BusRecorder(zmq::context_t& ctx, const std::string& endpoint) : sub_(ctx, registry_) {
    sub_.Connect(endpoint);
    sub_.Subscribe("samples");
  }
  void Drain() {
    while (auto m = sub_.Receive()) {
      v1::SampleBatch batch;
      if (!m->ParseAs(&batch)) continue;
      auto decoded = codec::DecodeSampleBatch(batch);
      if (!decoded.ok()) continue;
      if (batch.end_of_round()) ++rounds_[batch.source()];
      for (auto& s : *decoded) last_[s.labels.ToExposition()] = s.points.back();
    }
  }
  const std::map<std::string, codec::Point>& last() const { return last_; }
  int rounds(const std::string& source_part) const {
    int n = 0;
    for (const auto& [k, v] : rounds_) {
      if (k.find(source_part) != std::string::npos) n = std::max(n, v);
    }
    return n;
  }

 private:
  prometheus::Registry registry_;
  bus::Subscriber sub_;
  std::map<std::string, codec::Point> last_;
  std::map<std::string, int> rounds_;
};

// Prometheus's HTTP API.
nlohmann::json PromQuery(int port, const std::string& path) {
  auto [code, body] = HttpGet(port, path);
  if (code != 200) return nlohmann::json();
  return nlohmann::json::parse(body, nullptr, false);
}

// Series of a job stored by Prometheus, in exposition form.
std::set<std::string> PromSeries(int port, const std::string& job) {
  std::set<std::string> out;
  auto j = PromQuery(port, "/api/v1/series?match[]=" + UrlEncode(StrCat("{job=\"", job, "\"}")));
  if (!j.is_object()) return out;
  for (const auto& s : j["data"]) {
    std::vector<labels::Label> ls;
    for (auto it = s.begin(); it != s.end(); ++it) ls.push_back({it.key(), it.value().get<std::string>()});
    out.insert(labels::Labels(std::move(ls)).ToExposition());
  }
  return out;
}

// The current value of every series of a job in Prometheus: exposition form -> value.
std::map<std::string, double> PromInstant(int port, const std::string& selector) {
  std::map<std::string, double> out;
  auto j = PromQuery(port, "/api/v1/query?query=" + UrlEncode(selector));
  if (!j.is_object()) return out;
  for (const auto& r : j["data"]["result"]) {
    std::vector<labels::Label> ls;
    for (auto it = r["metric"].begin(); it != r["metric"].end(); ++it) {
      ls.push_back({it.key(), it.value().get<std::string>()});
    }
    out[labels::Labels(std::move(ls)).ToExposition()] =
        std::strtod(r["value"][1].get<std::string>().c_str(), nullptr);
  }
  return out;
}

bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// The live series of `job` in vigil's last publication and Prometheus's series: empty when
// they are the same set, else what only one side has.
std::string SeriesDifference(int prom_port, const BusRecorder& bus, const std::string& job) {
  std::set<std::string> prom_series = PromSeries(prom_port, job);
  std::set<std::string> vigil_series;
  for (const auto& [series, point] : bus.last()) {
    if (series.find(StrCat("job=\"", job, "\"")) != std::string::npos &&
        !codec::IsStaleNaN(point.v)) {
      vigil_series.insert(series);
    }
  }
  std::vector<std::string> only_prom, only_vigil;
  std::set_difference(prom_series.begin(), prom_series.end(), vigil_series.begin(),
                      vigil_series.end(), std::back_inserter(only_prom));
  std::set_difference(vigil_series.begin(), vigil_series.end(), prom_series.begin(),
                      prom_series.end(), std::back_inserter(only_vigil));
  if (only_prom.empty() && only_vigil.empty()) return "";
  return StrCat("only in Prometheus: ", ::testing::PrintToString(only_prom),
                "\nonly in vigil: ", ::testing::PrintToString(only_vigil));
}

// Every series of `selector` in Prometheus has the value vigil published last (the series
// sets are compared separately).
void ExpectSameValues(int prom_port, const BusRecorder& bus, const std::string& selector) {
  auto prom_values = PromInstant(prom_port, selector);
  EXPECT_FALSE(prom_values.empty()) << selector;
  for (const auto& [series, value] : prom_values) {
    if (series.rfind("scrape_duration_seconds", 0) == 0) continue;
    auto it = bus.last().find(series);
    ASSERT_NE(it, bus.last().end()) << series;
    EXPECT_TRUE(SameValue(it->second.v, value)) << series << ": vigil " << it->second.v
                                                << ", Prometheus " << value;
  }
}

// Prometheus and vigil-collector on the same prometheus.yml in `dir`, and a recorder of
// what the collector publishes.
struct Contestants {
  explicit Contestants(const std::string& dir)
      : prom({kPrometheus, "--config.file=prometheus.yml", "--storage.tsdb.path=prom-data",
              StrCat("--web.listen-address=127.0.0.1:", prom_port)},
             dir, dir + "/prometheus.log"),
        collector({BinDir() + "/vigil-collector", "--config.file=prometheus.yml",
                   StrCat("--web.listen-address=127.0.0.1:", FreePort()),
                   StrCat("--grpc.listen-address=127.0.0.1:", grpc_port),
                   StrCat("--bus.publish-address=tcp://127.0.0.1:", bus_port)},
                  dir, dir + "/collector.log"),
        bus(ctx, StrCat("tcp://127.0.0.1:", bus_port)) {}
  int prom_port = FreePort();
  int bus_port = FreePort();
  int grpc_port = FreePort();
  Process prom;
  Process collector;
  zmq::context_t ctx;
  BusRecorder bus;
};

class CollectorDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPrometheus, X_OK) != 0 || access(kNodeExporter, X_OK) != 0) {
      GTEST_SKIP() << "needs Debian's prometheus and prometheus-node-exporter";
    }
    dir_ = MakeTempDir("vigil-diff");
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(CollectorDifferentialTest, SameSeriesValuesAndStalenessAsPrometheus) {
  int node_port = FreePort();
  Process node({kNodeExporter, StrCat("--web.listen-address=127.0.0.1:", node_port),
                "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
                "--collector.loadavg", "--collector.stat", "--collector.time",
                "--collector.uname"},
               dir_, dir_ + "/node.log");
  TrickyTarget tricky;
  int64_t ts = (absl::ToUnixMillis(absl::Now()) / 1000) * 1000;
  tricky.Serve(TrickyBody(true, ts));
  ASSERT_TRUE(WaitFor([&] { return HttpGet(node_port, "/metrics").first == 200; })) << node.Log();

  WriteFile(dir_ + "/prometheus.yml",
            StrCat("global: {scrape_interval: 1s, scrape_timeout: 1s}\n",
                   "scrape_configs:\n",
                   "  - job_name: node\n    static_configs: [{targets: ['127.0.0.1:", node_port, "']}]\n",
                   "  - job_name: tricky\n    static_configs: [{targets: ['127.0.0.1:", tricky.port(),
                   "']}]\n"));
  Contestants both(dir_);
  int prom_port = both.prom_port;
  Process& prom = both.prom;
  Process& collector = both.collector;
  BusRecorder& bus = both.bus;

  // Several complete rounds on both sides.
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    return bus.rounds("node") >= 3 && bus.rounds("tricky") >= 3 &&
           PromInstant(prom_port, "up").size() == 2 &&
           PromInstant(prom_port, "scrape_series_added{job=\"tricky\"} == 0").size() == 1;
  }, std::chrono::seconds(60))) << prom.Log() << collector.Log();

  // 1. The same series, names and labels, for both targets.
  for (const std::string job : {"node", "tricky"}) {
    EXPECT_EQ(SeriesDifference(prom_port, bus, job), "") << job;
    EXPECT_GT(PromSeries(prom_port, job).size(), job == std::string("node") ? 20u : 15u);
  }

  // 2. The same values for the target whose values do not move (timing series aside).
  ExpectSameValues(prom_port, bus, "{job=\"tricky\"}");
  auto explicit_ts = bus.last().find("tricky_timestamped{instance=\"127.0.0.1:" +
                                     std::to_string(tricky.port()) + "\",job=\"tricky\"}");
  ASSERT_NE(explicit_ts, bus.last().end());
  EXPECT_EQ(explicit_ts->second.t, ts);

  // 3. Staleness: a series that vanishes is marked stale by both.
  tricky.Serve(TrickyBody(false, ts));
  std::string vanishing = StrCat("tricky_vanishing{instance=\"127.0.0.1:", tricky.port(),
                                 "\",job=\"tricky\",which=\"one\"}");
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    auto it = bus.last().find(vanishing);
    return it != bus.last().end() && codec::IsStaleNaN(it->second.v) &&
           PromInstant(prom_port, "tricky_vanishing").empty();
  }, std::chrono::seconds(30))) << "vigil or Prometheus did not mark " << vanishing << " stale";
}


// OpenMetrics only: gaugehistogram, stateset, info, unit, _created, exemplars, float-second
// timestamps; Prometheus negotiates it and stores exemplar-free samples.
std::string OpenMetricsBody(int64_t ts_ms) {
  return StrCat(
      "# TYPE om_gh gaugehistogram\n"
      "# HELP om_gh A gauge histogram.\n"
      "om_gh_bucket{le=\"1\"} 2\n"
      "om_gh_bucket{le=\"+Inf\"} 3\n"
      "om_gh_gcount 3\n"
      "om_gh_gsum 1.5\n"
      "# TYPE om_state stateset\n"
      "om_state{om_state=\"a\"} 1\n"
      "om_state{om_state=\"b\"} 0\n"
      "# TYPE om_build info\n"
      "om_build_info{version=\"1.2\"} 1\n"
      "# TYPE om_req_seconds counter\n"
      "# UNIT om_req_seconds seconds\n"
      "om_req_seconds_total{code=\"200\"} 5 # {trace_id=\"abc\"} 0.5 1600000000.123\n"
      "om_req_seconds_created{code=\"200\"} 1600000000.5\n"
      "# TYPE om_lat histogram\n"
      "om_lat_bucket{le=\"0.5\"} 1 # {trace_id=\"x\"} 0.2\n"
      "om_lat_bucket{le=\"+Inf\"} 2\n"
      "om_lat_count 2\n"
      "om_lat_sum 0.9\n"
      "om_lat_created 1600000000\n"
      "# TYPE om_ts gauge\n"
      "om_ts{q=\"esc\\\\aped \\\"x\\\"\"} 7 ", ts_ms / 1000, ".", ts_ms % 1000, "\n"
      "# EOF\n");
}

TEST_F(CollectorDifferentialTest, OpenMetricsTlsParseFailuresAndVanishingTargetsAsPrometheus) {
  collector::testing::TestPki pki = collector::testing::MakeTestPki(dir_);
  ASSERT_EQ(pki.error, "");
  int node_port = FreePort();
  Process node({kNodeExporter, StrCat("--web.listen-address=127.0.0.1:", node_port),
                "--web.config.file=" + pki.web_config, "--collector.disable-defaults",
                "--collector.loadavg", "--collector.uname"},
               dir_, dir_ + "/node.log");
  TrickyTarget om("application/openmetrics-text; version=1.0.0; charset=utf-8");
  int64_t ts = (absl::ToUnixMillis(absl::Now()) / 1000) * 1000 + 250;
  om.Serve(OpenMetricsBody(ts));
  TrickyTarget broken, vanish, limited;
  limited.Serve("l_a 1\nl_b 1\n");
  broken.Serve("broken_a 1\nbroken_b 2\n");
  vanish.Serve("# TYPE vanish_g gauge\nvanish_g{k=\"v\"} 1\nvanish_other 2\n");
  WriteFile(dir_ + "/vanish.json",
            StrCat("[{\"targets\": [\"127.0.0.1:", vanish.port(), "\"], \"labels\": {\"t\": \"x\"}}]"));
  std::string tls = StrCat("    scheme: https\n    tls_config: {ca_file: ", pki.ca,
                           ", cert_file: ", pki.client_cert, ", key_file: ", pki.client_key,
                           ", server_name: node.example}\n");
  std::string bad_tls = StrCat("    scheme: https\n    tls_config: {ca_file: ", pki.other_ca,
                               ", cert_file: ", pki.client_cert, ", key_file: ",
                               pki.client_key, ", server_name: node.example}\n");
  auto job = [](const char* name, int port, const std::string& extra) {
    return StrCat("  - job_name: ", name, "\n", extra,
                  "    static_configs: [{targets: ['127.0.0.1:", port, "']}]\n");
  };
  WriteFile(dir_ + "/prometheus.yml",
            StrCat("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n",
                   job("om", om.port(), ""), job("broken", broken.port(), ""),
                   job("limited", limited.port(), "    sample_limit: 2\n"),
                   job("node_tls", node_port, tls), job("node_tls_badca", node_port, bad_tls),
                   "  - job_name: vanish\n    file_sd_configs: [{files: [vanish.json]}]\n"));
  Contestants both(dir_);
  int prom_port = both.prom_port;
  Process& prom = both.prom;
  Process& collector = both.collector;
  BusRecorder& bus = both.bus;
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    for (const char* j : {"om", "broken", "limited", "node_tls\t", "node_tls_badca", "vanish"}) {
      if (bus.rounds(j) < 3) return false;
    }
    return PromInstant(prom_port, "up").size() == 6 &&
           PromInstant(prom_port, "scrape_series_added == 0").size() == 6;
  }, std::chrono::seconds(60))) << prom.Log() << collector.Log();

  // OpenMetrics-only types, TLS (good and wrong CA), and the target about to vanish: the
  // same series and values (node's values move: its series only).
  for (const char* j : {"om", "node_tls", "node_tls_badca", "broken", "limited", "vanish"}) {
    EXPECT_EQ(SeriesDifference(prom_port, bus, j), "") << j;
  }
  for (const char* j : {"om", "node_tls_badca", "broken", "vanish"}) {
    ExpectSameValues(prom_port, bus, StrCat("{job=\"", j, "\"}"));
  }
  EXPECT_EQ(PromInstant(prom_port, "up{job=\"node_tls\"}").begin()->second, 1);
  EXPECT_EQ(PromInstant(prom_port, "up{job=\"node_tls_badca\"}").begin()->second, 0);
  // The same reason on both sides: Prometheus's /api/v1/targets, vigil's ListTargets.
  std::string prom_error, vigil_error;
  auto targets = PromQuery(prom_port, "/api/v1/targets");
  for (const auto& t : targets["data"]["activeTargets"]) {
    if (t["labels"]["job"] == "node_tls_badca") prom_error = t["lastError"].get<std::string>();
  }
  {
    auto stub = v1::Collector::NewStub(Channel(StrCat("127.0.0.1:", both.grpc_port)));
    grpc::ClientContext ctx;
    v1::ListTargetsRequest req;
    req.set_job("node_tls_badca");
    v1::ListTargetsResponse resp;
    ASSERT_TRUE(stub->ListTargets(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.targets_size(), 1);
    vigil_error = resp.targets(0).last_error();
  }
  EXPECT_EQ(vigil_error, prom_error);
  EXPECT_NE(prom_error.find("x509: certificate signed by unknown authority"), std::string::npos)
      << prom_error;
  EXPECT_GT(PromSeries(prom_port, "node_tls").size(), 8u);
  auto om_ts = bus.last().find(StrCat("om_ts{instance=\"127.0.0.1:", om.port(),
                                      "\",job=\"om\",q=\"esc\\\\aped \\\"x\\\"\"}"));
  ASSERT_NE(om_ts, bus.last().end());
  EXPECT_EQ(om_ts->second.t, ts);  // float seconds -> ms

  // A body that breaks half-way: up 0, nothing stored, and the report counts the samples
  // read before the error. Prometheus 2.42 marks stale only the series the failed scrape
  // did not reach (broken_b): broken_a, read before the error, keeps its last value.
  broken.Serve("broken_a 1\nbroken_new 3\nbroken_b{ 2\n");
  // Over sample_limit 2: the same quirk, the sample appended before the limit stays.
  limited.Serve("l_a 2\nl_c 2\nl_b 2\n");
  std::string broken_labels = StrCat("{instance=\"127.0.0.1:", broken.port(), "\",job=\"broken\"}");
  auto vigil_value = [&](const std::string& series) {
    auto it = bus.last().find(series);
    return it == bus.last().end() ? -1.0 : it->second.v;
  };
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    // Steady failure: the second failed scrape adds no series on either side.
    std::string limited_labels = StrCat("{instance=\"127.0.0.1:", limited.port(), "\",job=\"limited\"}");
    return vigil_value("up" + broken_labels) == 0 &&
           vigil_value("scrape_series_added" + broken_labels) == 0 &&
           vigil_value("up" + limited_labels) == 0 &&
           vigil_value("scrape_series_added" + limited_labels) == 0 &&
           PromInstant(prom_port, "up{job=\"broken\"} == 0").size() == 1 &&
           PromInstant(prom_port, "scrape_series_added{job=\"broken\"} == 0").size() == 1 &&
           PromInstant(prom_port, "broken_b").empty() && PromInstant(prom_port, "l_b").empty() &&
           PromInstant(prom_port, "up{job=\"limited\"} == 0").size() == 1 &&
           PromInstant(prom_port, "scrape_series_added{job=\"limited\"} == 0").size() == 1;
  }, std::chrono::seconds(30))) << "vigil up " << vigil_value("up" + broken_labels) << " added "
                                << vigil_value("scrape_series_added" + broken_labels)
                                << "\nPrometheus: "
                                << ::testing::PrintToString(PromInstant(prom_port, "{job=\"broken\"}"));
  ExpectSameValues(prom_port, bus, "{job=\"broken\"}");
  ExpectSameValues(prom_port, bus, "{job=\"limited\"}");
  EXPECT_EQ(PromInstant(prom_port, "l_a").size(), 1u);
  EXPECT_EQ(vigil_value("scrape_samples_scraped" + broken_labels), 2);
  EXPECT_EQ(vigil_value("broken_a" + broken_labels), 1);
  EXPECT_TRUE(codec::IsStaleNaN(vigil_value("broken_b" + broken_labels)));
  // Back to a good body without broken_new: the failed scrapes tracked it, so both write a
  // staleness marker for it although it never had a sample; the series sets, stale ones
  // included, are the same.
  broken.Serve("broken_a 5\n");
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    return vigil_value("broken_a" + broken_labels) == 5 &&
           PromInstant(prom_port, "broken_a == 5").size() == 1;
  }, std::chrono::seconds(30)));
  std::set<std::string> vigil_broken;
  for (const auto& [series, point] : bus.last()) {
    if (series.find("job=\"broken\"") != std::string::npos) vigil_broken.insert(series);
  }
  EXPECT_EQ(vigil_broken, PromSeries(prom_port, "broken"));
  EXPECT_TRUE(codec::IsStaleNaN(vigil_value("broken_new" + broken_labels)));

  // The file_sd target vanishes from both: every series of it ends with a staleness
  // marker. Prometheus shows it by answering nothing for the job at once (without markers
  // the last values would stay visible for 5 minutes); vigil's last samples are markers.
  std::set<std::string> vanish_series = PromSeries(prom_port, "vanish");
  WriteFile(dir_ + "/vanish.json", "[]\n");
  ASSERT_TRUE(WaitFor([&] {
    bus.Drain();
    for (const std::string& series : vanish_series) {
      if (!codec::IsStaleNaN(vigil_value(series))) return false;
    }
    return PromInstant(prom_port, "{job=\"vanish\"}").empty();
  }, std::chrono::seconds(30))) << collector.Log() << prom.Log();
  std::set<std::string> vigil_stale;
  for (const auto& [series, point] : bus.last()) {
    if (series.find("job=\"vanish\"") != std::string::npos) {
      EXPECT_TRUE(codec::IsStaleNaN(point.v)) << series;
      vigil_stale.insert(series);
    }
  }
  EXPECT_EQ(vigil_stale, PromSeries(prom_port, "vanish"));
  EXPECT_EQ(vanish_series.size(), 7u);  // 2 scraped + 5 report series
}

}  // namespace
}  // namespace vigil::testing
