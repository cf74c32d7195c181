// Scrape targets for benchmarks: N HTTP servers on consecutive ports, each exposing S
// series (a realistic mix of counters, gauges and histogram buckets) whose values move on
// every scrape.
//
//   build/bin/bench_static_targets --base-port 19000 --targets 20 --series 5000

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
  int base_port = 19000, targets = 20, series = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--base-port")) base_port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--targets")) targets = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--series")) series = std::atoi(argv[i + 1]);
  }
  std::vector<std::unique_ptr<httplib::Server>> servers;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> tick{1};
  for (int t = 0; t < targets; ++t) {
    auto s = std::make_unique<httplib::Server>();
    s->Get("/metrics", [t, series, &tick](const httplib::Request&, httplib::Response& res) {
      res.set_content(Body(t, series, tick++), "text/plain; version=0.0.4");
    });
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
