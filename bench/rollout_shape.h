// The series a "rollout" scrape target exposes, shared by bench_static_targets
// (--shape rollout, as exposition text) and bench_rule_eval (appended straight into a
// tsdb::Head), so bench/rollout_rules.yml reads the same shapes in both.
//
// Per target: a service (target % kServices) and a track (every 10th target is "canary"),
// then per route: http_requests_total for codes 200/404/500, a latency histogram of 10
// buckets + _sum + _count, 15 series a route; what is left of the target's series budget
// is app_queue_depth{queue} gauges. Values are pure functions of (target, series, tick):
// counters grow every tick by a rate plus noise of about its square root, as request
// counts do (a histogram's buckets share their route's noise, so they stay cumulative and
// +Inf equals _count); canary targets' 500s grow fast enough for CanaryErrorRatioHigh to
// fire.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vigil::bench {

inline constexpr int kRolloutServices = 20;
inline constexpr int kSeriesPerRoute = 15;
inline constexpr const char* kRolloutLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1",
                                             "0.25",  "0.5",  "1",     "2.5",  "+Inf"};

struct RolloutSeries {
  enum Kind { kRequests, kBucket, kSum, kCount, kQueue };
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, no __name__
  Kind kind;
  int route = 0;
  int index = 0;  // code index (requests), bucket index, or queue index
};

inline bool RolloutCanary(int target) { return target % 10 == 0; }

// The series of one target, in exposition order (a histogram's lines together).
inline std::vector<RolloutSeries> RolloutTargetSeries(int target, int series) {
  std::string service = "svc-" + std::to_string(target % kRolloutServices);
  std::string track = RolloutCanary(target) ? "canary" : "stable";
  int routes = series / kSeriesPerRoute;
  std::vector<RolloutSeries> out;
  static const char* kCodes[] = {"200", "404", "500"};
  for (int r = 0; r < routes; ++r) {
    std::string route = "/api/route" + std::to_string(r);
    for (int c = 0; c < 3; ++c) {
      out.push_back(
          {"http_requests_total",
           {{"code", kCodes[c]}, {"route", route}, {"service", service}, {"track", track}},
           RolloutSeries::kRequests,
           r,
           c});
    }
  }
  for (int r = 0; r < routes; ++r) {
    std::string route = "/api/route" + std::to_string(r);
    for (int b = 0; b < 10; ++b) {
      out.push_back(
          {"http_request_duration_seconds_bucket",
           {{"le", kRolloutLe[b]}, {"route", route}, {"service", service}, {"track", track}},
           RolloutSeries::kBucket,
           r,
           b});
    }
    std::vector<std::pair<std::string, std::string>> l = {
        {"route", route}, {"service", service}, {"track", track}};
    out.push_back({"http_request_duration_seconds_sum", l, RolloutSeries::kSum, r, 0});
    out.push_back({"http_request_duration_seconds_count", l, RolloutSeries::kCount, r, 0});
  }
  for (int q = 0; static_cast<int>(out.size()) < series; ++q) {
    out.push_back(
        {"app_queue_depth", {{"queue", "q" + std::to_string(q)}}, RolloutSeries::kQueue, 0, q});
  }
  return out;
}

// A number in [0, 1) that is a pure function of its arguments (splitmix64).
inline double RolloutNoise(int target, int stream, uint64_t tick) {
  uint64_t h = (static_cast<uint64_t>(target) << 40 ^ static_cast<uint64_t>(stream) << 20 ^ tick) +
               0x9E3779B97F4A7C15;
  h = (h ^ h >> 30) * 0xBF58476D1CE4E5B9;
  h = (h ^ h >> 27) * 0x94D049BB133111EB;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) / 9007199254740992.0;
}

// A counter growing by `rate` a tick, plus noise in [0, min(rate, 2 sqrt(rate))]: it
// never drops, and a larger `noise` gives a value at least as large for larger rates.
inline double RolloutCounter(uint64_t rate, uint64_t tick, double noise) {
  uint64_t spread = std::min<uint64_t>(rate, static_cast<uint64_t>(2 * std::sqrt(double(rate))));
  return static_cast<double>(rate * tick + static_cast<uint64_t>(noise * double(spread + 1)));
}

// The value of `s` (of `target`) at scrape number `tick` (1, 2, ...).
inline double RolloutValue(int target, const RolloutSeries& s, uint64_t tick) {
  uint64_t k = static_cast<uint64_t>(s.route % 7 + 1);
  // One noise stream per route's histogram, one per request counter.
  double histogram_noise = RolloutNoise(target, s.route * 4 + 3, tick);
  switch (s.kind) {
    case RolloutSeries::kRequests: {
      double noise = RolloutNoise(target, s.route * 4 + s.index, tick);
      if (s.index == 0) return RolloutCounter(20 * k, tick, noise);
      if (s.index == 1) return RolloutCounter(k, tick, noise);
      return RolloutCanary(target) ? RolloutCounter(3 * k, tick, noise)
                                   : static_cast<double>(tick / 5);
    }
    case RolloutSeries::kBucket:
      // Cumulative: bucket b holds (b + 1) / 10 of the requests (the last one all of them).
      return RolloutCounter(2 * k * static_cast<uint64_t>(s.index + 1), tick, histogram_noise);
    case RolloutSeries::kSum:
      return (static_cast<double>(tick) * 0.37 + histogram_noise * 0.05) * static_cast<double>(k);
    case RolloutSeries::kCount:
      return RolloutCounter(20 * k, tick, histogram_noise);
    case RolloutSeries::kQueue:
      return static_cast<double>((tick * 7 + static_cast<uint64_t>(s.index)) % 100);
  }
  return 0;
}

}  // namespace vigil::bench
