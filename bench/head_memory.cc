// Resident bytes per series and per sample in the evaluator's head (lib/tsdb chunks),
// against the plain layout it replaced (a std::vector<Point> per series, 16 B per sample),
// plus append, decode and truncate throughput. Synthetic but shaped like a real scrape:
// per target, 5 routes x (10 histogram buckets + _sum + _count) of a latency histogram,
// 25 counters growing by small integers, 15 gauges with a few distinct values.
//
//   build/bin/bench_head_memory [--series N] [--seconds S] [--jitter_ms J] [--xor_only 1]
//
// --xor_only 1 stores every value in Prometheus's XOR coding, as before the decimal coding
// (lib/tsdb/chunk.h): run both to compare.
// --jitter_ms J moves each scrape's timestamp by up to +-J ms, as real scrape start times
// do (Prometheus 2.42 stores them as they come; it has no timestamp alignment yet).

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "lib/tsdb/head.h"

namespace {

using vigil::labels::Label;
using vigil::labels::Labels;
using vigil::tsdb::HeapBytes;

constexpr size_t kSeriesPerTarget = 100;
constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

struct Series {
  enum Kind { kBucket, kSum, kCount, kCounter, kGauge };
  Labels labels;
  Kind kind;
  int route = 0;  // histogram series: the route whose observations feed it
  int bucket = 0;
  double value = 0;
};

std::vector<Series> MakeSeries(size_t n) {
  std::vector<Series> out;
  for (int target = 0; out.size() < n; ++target) {
    std::string instance =
        "10.0." + std::to_string(target / 250) + "." + std::to_string(target % 250) + ":9100";
    std::string service = "svc-" + std::to_string(target % 40);
    auto add = [&](std::string name, std::vector<Label> extra, Series::Kind kind, int route,
                   int bucket) {
      std::vector<Label> l = {{"__name__", std::move(name)},
                              {"instance", instance},
                              {"job", "api"},
                              {"service", service}};
      for (Label& e : extra) l.push_back(std::move(e));
      out.push_back(Series{Labels(std::move(l)), kind, route, bucket});
    };
    for (int r = 0; r < 5; ++r) {
      std::string route = "/api/v1/route" + std::to_string(r);
      for (int b = 0; b <= 10; ++b) {
        std::string le = b == 10 ? "+Inf" : std::to_string(kBuckets[b]);
        add("http_request_duration_seconds_bucket", {{"route", route}, {"le", le}}, Series::kBucket,
            r, b);
      }
      add("http_request_duration_seconds_sum", {{"route", route}}, Series::kSum, r, 0);
      add("http_request_duration_seconds_count", {{"route", route}}, Series::kCount, r, 10);
    }
    for (int i = 0; i < 25; ++i) {
      add("app_events_total", {{"kind", "event" + std::to_string(i)}}, Series::kCounter, 0, 0);
    }
    add("up", {}, Series::kGauge, 0, 0);
    for (int i = 1; i < 15; ++i) {
      add("app_state", {{"component", "c" + std::to_string(i)}}, Series::kGauge, 0, 0);
    }
  }
  out.resize(n);
  return out;
}

// One second of one target: a few requests per route, then every series' new value.
void Step(std::vector<Series>& series, size_t first, size_t end, std::mt19937_64& rng) {
  double obs[5][11] = {};
  double sum[5] = {};
  std::exponential_distribution<double> latency(20);  // mean 50 ms
  for (int r = 0; r < 5; ++r) {
    int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      double x = latency(rng);
      sum[r] += x;
      for (int b = 0; b <= 10; ++b) obs[r][b] += (b == 10 || x <= kBuckets[b]) ? 1 : 0;
    }
  }
  for (size_t i = first; i < end; ++i) {
    Series& s = series[i];
    switch (s.kind) {
      case Series::kBucket:
      case Series::kCount:
        s.value += obs[s.route][s.bucket];
        break;
      case Series::kSum:
        s.value += sum[s.route];
        break;
      case Series::kCounter:
        s.value += static_cast<double>(rng() % 3);
        break;
      case Series::kGauge:
        if (rng() % 30 == 0) s.value = static_cast<double>(rng() % 4);
        break;
    }
  }
}

size_t RssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

// What glibc's malloc has handed out and not taken back, its per-block overhead included:
// what memory_bytes() estimates.
size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

double SecondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100'000;
  int seconds = 3600, jitter_ms = 0;
  bool xor_only = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--series") == 0) n = std::stoul(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--jitter_ms") == 0) jitter_ms = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--xor_only") == 0) xor_only = std::atoi(argv[i + 1]) != 0;
  }
  std::mt19937_64 rng(1);
  std::vector<Series> series = MakeSeries(n);

  size_t rss_before = RssBytes();
  const size_t heap_before = HeapInUse();
  vigil::tsdb::Head head(nullptr, xor_only ? vigil::tsdb::ValueCodings::kXorOnly
                                           : vigil::tsdb::ValueCodings::kXorOrDecimal);
  double append_s = 0;  // appends only, not the generation of values
  const int64_t t0 = 1'700'000'000'000;
  for (int sec = 0; sec < seconds; ++sec) {
    for (size_t first = 0; first < n; first += kSeriesPerTarget) {
      size_t end = std::min(n, first + kSeriesPerTarget);
      Step(series, first, end, rng);
      int64_t jitter = 0;
      if (jitter_ms > 0) jitter = static_cast<int64_t>(rng() % (2 * jitter_ms + 1)) - jitter_ms;
      int64_t t = t0 + sec * int64_t{1000} + jitter;
      auto batch = std::chrono::steady_clock::now();
      for (size_t i = first; i < end; ++i) head.Append(series[i].labels, t, series[i].value);
      append_s += SecondsSince(batch);
    }
  }
  size_t rss_growth = RssBytes() - rss_before;
  size_t heap_growth = HeapInUse() - heap_before;

  size_t samples = head.num_samples();
  size_t mem = head.memory_bytes();
  size_t series_bytes = 0, labels_bytes = 0;
  for (const vigil::tsdb::MemSeries* s : head.Select({})) {
    series_bytes += s->MemoryBytes();
    labels_bytes += vigil::tsdb::LabelsHeapBytes(s->labels());
  }
  size_t index_bytes = mem - series_bytes;
  size_t objects = n * HeapBytes(sizeof(vigil::tsdb::MemSeries));
  size_t chunk_bytes = series_bytes - objects - labels_bytes;
  // The replaced layout, computed rather than allocated: the same labels and index, its
  // 48-byte series object and a vector grown by doubling to hold every point.
  size_t cap = 1;
  while (cap < samples / n) cap *= 2;
  size_t plain = index_bytes + labels_bytes + n * (HeapBytes(48) + HeapBytes(cap * 16));

  // Decode every series once: what a query selecting all of them costs.
  auto start = std::chrono::steady_clock::now();
  size_t decoded = 0;
  std::vector<vigil::tsdb::Point> buf;
  for (const vigil::tsdb::MemSeries* s : head.Select({})) {
    buf.clear();
    s->Decode(&buf);
    decoded += buf.size();
  }
  double decode_s = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  head.Truncate(t0 + int64_t{1000} * (seconds / 2) + 500);
  double truncate_s = SecondsSince(start);
  // Then the evaluator's steady state: the window moves by one scrape interval.
  start = std::chrono::steady_clock::now();
  head.Truncate(t0 + int64_t{1000} * (seconds / 2 + 1) + 500);
  double slide_s = SecondsSince(start);

  auto row = [&](const char* what, size_t bytes) {
    std::printf("%-38s %9.1f MB %8.0f B/series %6.2f B/sample\n", what, bytes / 1e6,
                double(bytes) / n, double(bytes) / samples);
  };
  std::printf("series %zu, samples %zu (%d s at 1 s, jitter +-%d ms, %s)\n", n, samples, seconds,
              jitter_ms, xor_only ? "XOR only" : "XOR or decimal");
  row("head memory_bytes()", mem);
  row("  chunks", chunk_bytes);
  row("  labels", labels_bytes);
  row("  series objects + index", objects + index_bytes);
  row("malloc in use, growth (mallinfo2)", heap_growth);
  row("RSS growth while appending", rss_growth);
  row("plain vector<Point> layout (computed)", plain);
  std::printf("append   %7.1f s %7.1f ns/sample (Head::Append, label lookup included)\n", append_s,
              append_s * 1e9 / samples);
  std::printf("decode   %7.2f s %7.1f ns/sample (%zu samples)\n", decode_s,
              decode_s * 1e9 / decoded, decoded);
  std::printf("truncate %7.3f s (to the newer half, mid-chunk), then %.3f s (by 1 s more)\n",
              truncate_s, slide_s);
  return 0;
}
