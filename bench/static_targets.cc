// Scrape targets for benchmarks: N HTTP servers on consecutive ports, each exposing S
// series (a realistic mix of counters, gauges and histogram buckets) whose values move on
// every scrape.
//
//   build/bin/bench_static_targets --base-port 19000 --targets 20 --series 5000
//                                  [--shape mixed|rollout]
//
// --shape rollout serves bench/rollout_shape.h's series (what bench/rollout_rules.yml
// reads) with values that follow wall-clock seconds, so every scraper sees the same ones.

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rollout_shape.h"  // this target links no vigil library: no project include path

namespace {

std::string Body(int target, int series, uint64_t tick) {
  std::string out;
  out.reserve(static_cast<size_t>(series) * 80);
  int histograms = series / 20;  // 10 buckets + sum + count... keep it simple: 12 lines each
  int lines = 0;
  out += "# HELP bench_requests_total Requests.\n# TYPE bench_requests_total counter\n";
  for (int i = 0; lines < series - histograms * 12; ++i, ++lines) {
    out += "bench_requests_total{route=\"/api/v" + std::to_string(i % 7) + "/item" +
           std::to_string(i) + "\",code=\"" + std::to_string(200 + (i % 5)) + "\"} " +
           std::to_string(tick * (i % 13 + 1) + static_cast<uint64_t>(target)) + "\n";
  }
  out += "# HELP bench_latency_seconds Latency.\n# TYPE bench_latency_seconds histogram\n";
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                              "+Inf"};
  for (int h = 0; h < histograms; ++h) {
    std::string base = "bench_latency_seconds_bucket{handler=\"h" + std::to_string(h) + "\",le=\"";
    for (int b = 0; b < 10; ++b) {
      out += base + kLe[b] + "\"} " + std::to_string(tick * (b + 1)) + "\n";
    }
    out += "bench_latency_seconds_sum{handler=\"h" + std::to_string(h) + "\"} " +
           std::to_string(static_cast<double>(tick) * 0.37) + "\n";
    out += "bench_latency_seconds_count{handler=\"h" + std::to_string(h) + "\"} " +
           std::to_string(tick * 10) + "\n";
  }
  return out;
}

// One rollout target: the exposition lines up to the value are rendered once.
class RolloutTarget {
 public:
  RolloutTarget(int target, int series) : target_(target) {
    std::string family;
    for (vigil::bench::RolloutSeries& s : vigil::bench::RolloutTargetSeries(target, series)) {
      std::string f = s.kind == vigil::bench::RolloutSeries::kRequests ? "http_requests_total"
                      : s.kind == vigil::bench::RolloutSeries::kQueue
                          ? "app_queue_depth"
                          : "http_request_duration_seconds";
      std::string head;
      if (f != family) {
        family = f;
        const char* type = s.kind == vigil::bench::RolloutSeries::kRequests ? "counter"
                           : s.kind == vigil::bench::RolloutSeries::kQueue  ? "gauge"
                                                                            : "histogram";
        head = "# TYPE " + f + " " + type + "\n";
      }
      std::string line = head + s.name + "{";
      for (size_t i = 0; i < s.labels.size(); ++i) {
        line += (i ? ",": "") + s.labels[i].first + "=\"" + s.labels[i].second + "\"";
      }
      prefixes_.push_back(line + "} ");
      series_.push_back(std::move(s));
    }
  }

  std::string Body(uint64_t tick) const {
    std::string out;
    out.reserve(series_.size() * 110);
    char buf[64];
    for (size_t i = 0; i < series_.size(); ++i) {
      out += prefixes_[i];
      auto r = std::to_chars(buf, buf + sizeof(buf),
                             vigil::bench::RolloutValue(target_, series_[i], tick));
      out.append(buf, r.ptr);
      out += '\n';
    }
    return out;
  }

 private:
  int target_;
  std::vector<vigil::bench::RolloutSeries> series_;
  std::vector<std::string> prefixes_;
};

}  // namespace

int main(int argc, char** argv) {
  int base_port = 19000, targets = 20, series = 5000;
  std::string shape = "mixed";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--base-port")) base_port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--targets")) targets = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--series")) series = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--shape")) shape = argv[i + 1];
  }
  std::vector<std::unique_ptr<httplib::Server>> servers;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> tick{1};
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < targets; ++t) {
    auto s = std::make_unique<httplib::Server>();
    if (shape == "rollout") {
      auto target = std::make_shared<RolloutTarget>(t, series);
      s->Get("/metrics", [target, start](const httplib::Request&, httplib::Response& res) {
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - start);
        res.set_content(target->Body(static_cast<uint64_t>(secs.count()) + 1),
                        "text/plain; version=0.0.4");
      });
    } else {
      s->Get("/metrics", [t, series, &tick](const httplib::Request&, httplib::Response& res) {
        res.set_content(Body(t, series, tick++), "text/plain; version=0.0.4");
      });
    }
    if (!s->bind_to_port("127.0.0.1", base_port + t)) {
      std::fprintf(stderr, "cannot bind port %d\n", base_port + t);
      return 1;
    }
    servers.push_back(std::move(s));
  }
  for (auto& s : servers) threads.emplace_back([&s] { s->listen_after_bind(); });
  std::fprintf(stderr, "serving %d targets x %d series on ports %d..%d\n", targets, series,
               base_port, base_port + targets - 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig;
  sigwait(&set, &sig);
  for (auto& s : servers) s->stop();
  for (auto& th : threads) th.join();
  return 0;
}
