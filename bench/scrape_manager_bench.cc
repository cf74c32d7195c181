// Micro-benchmark of the collector's per-scrape work without I/O: ScrapeManager::OnScrapeDone
// on the body bench_static_targets serves (parse, target labels, staleness, batch), and the
// serialization the publisher does. Prints ns per sample.
//
//   build/bin/bench_scrape_manager [SERIES] [SCRAPES] [TARGETS]
//
// With several targets the scrapes go round-robin, as in the collector, so each target's
// cache is cold in the CPU caches when its turn comes.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lib/promconfig/promconfig.h"
#include "services/collector/scrape_manager.h"

namespace {

std::string Body(int series, uint64_t tick) {
  std::string out;
  int histograms = series / 20;
  int lines = 0;
  out += "# HELP bench_requests_total Requests.\n# TYPE bench_requests_total counter\n";
  for (int i = 0; lines < series - histograms * 12; ++i, ++lines) {
    out += "bench_requests_total{route=\"/api/v" + std::to_string(i % 7) + "/item" +
           std::to_string(i) + "\",code=\"" + std::to_string(200 + (i % 5)) + "\"} " +
           std::to_string(tick * (i % 13 + 1)) + "\n";
  }
  out += "# HELP bench_latency_seconds Latency.\n# TYPE bench_latency_seconds histogram\n";
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                              "+Inf"};
  for (int h = 0; h < histograms; ++h) {
    std::string base = "bench_latency_seconds_bucket{handler=\"h" + std::to_string(h) + "\",le=\"";
    for (int b = 0; b < 10; ++b) out += base + kLe[b] + "\"} " + std::to_string(tick * (b + 1)) + "\n";
    out += "bench_latency_seconds_sum{handler=\"h" + std::to_string(h) + "\"} " +
           std::to_string(static_cast<double>(tick) * 0.37) + "\n";
    out += "bench_latency_seconds_count{handler=\"h" + std::to_string(h) + "\"} " +
           std::to_string(tick * 10) + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int series = argc > 1 ? std::atoi(argv[1]) : 5000;
  int scrapes = argc > 2 ? std::atoi(argv[2]) : 200;
  int targets = argc > 3 ? std::atoi(argv[3]) : 1;
  std::string list;
  for (int i = 0; i < targets; ++i) list += (i ? ",'127.0.0.1:" : "'127.0.0.1:") + std::to_string(i + 1) + "'";
  auto cfg = vigil::promconfig::ParsePrometheusConfig(
      "bench.yml",
      "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
      "scrape_configs:\n  - job_name: bench\n    static_configs: [{targets: [" + list + "]}]\n");
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cfg.status().message()).c_str());
    return 1;
  }
  vigil::collector::ScrapeManager m;
  m.ApplyConfig(*cfg, 0);
  std::vector<std::string> bodies;
  for (int i = 0; i < 8; ++i) bodies.push_back(Body(series, static_cast<uint64_t>(i + 1)));
  using Clock = std::chrono::steady_clock;
  Clock::duration scrape_time{}, serialize_time{};
  size_t bytes = 0;
  int warm = 2 * targets;  // the first scrape of each target creates its series
  for (int i = 0; i < scrapes + warm; ++i) {
    vigil::TimestampMs now = 1'000'000'000 + static_cast<vigil::TimestampMs>(i) * 1000;
    std::string key = m.targets()[static_cast<size_t>(i % targets)].key;
    vigil::collector::ScrapeResult r{bodies[static_cast<size_t>(i) % bodies.size()], "", 0.01,
                                     "text/plain; version=0.0.4"};
    auto t0 = Clock::now();
    const vigil::v1::SampleBatch* batch = m.OnScrapeDone(key, now, r);
    auto t1 = Clock::now();
    std::string out = batch->SerializeAsString();
    auto t2 = Clock::now();
    if (i >= warm) {
      bytes += out.size();
      scrape_time += t1 - t0;
      serialize_time += t2 - t1;
    }
  }
  double n = static_cast<double>(series) * scrapes;
  auto ns = [&](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / n;
  };
  std::printf("%d targets, %d series x %d scrapes: OnScrapeDone %.0f ns/sample, serialize %.0f ns/sample, "
              "%.1f bytes/sample\n",
              targets, series, scrapes, ns(scrape_time), ns(serialize_time),
              static_cast<double>(bytes) / (static_cast<double>(series) * scrapes));
  return 0;
}
