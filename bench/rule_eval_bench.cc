// Evaluation time of the ~50-rule rollout group (bench/rollout_rules.yml) over a Head
// holding N series of bench/rollout_shape.h sampled every second, as the evaluator runs it
// (rules::Group::Eval with promql::EvalInstant over the head, recording rules appended
// back), without the bus or scraping. Also reports how many samples queries decoded.
//
//   build/bin/bench_rule_eval [--series N] [--per-target S] [--seconds W] [--evals E]
//                             [--retention-seconds R] [--rules FILE] [--hints 0|1]
//                             [--windows 0|1] [--step-seconds S] [--xor_only 0|1]
//
// Defaults: 100000 series, 500 per target (200 targets; target 0 reports up == 0), a
// 600 s window, 5 evaluations 5 s apart after the window is filled; the head is truncated
// to R seconds (default 360, the evaluator's retention for a [5m] rule plus margin) before
// timing. --hints 0 makes every Select read the whole window (the engine before select
// hints), --windows 0 makes rate & co. read decoded points instead of the head's
// incremental window summaries, for before/after comparisons in one build. --step-seconds
// (default 5) is the time between evaluations: 1 is the event-driven evaluator at 1 s
// scrapes. --xor_only 1 keeps every chunk in Prometheus's XOR coding (no decimal
// chunks). Times are wall and CPU seconds of this thread.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/rollout_shape.h"
#include "lib/promql/engine.h"
#include "lib/promql/query_cache.h"
#include "lib/rules/group.h"
#include "lib/rules/rule_file.h"
#include "lib/tsdb/head.h"

namespace {

using vigil::labels::Label;
using vigil::labels::Labels;

struct BenchSeries {
  Labels labels;
  int target;
  vigil::bench::RolloutSeries shape;
};

std::vector<BenchSeries> MakeSeries(int total, int per_target) {
  std::vector<BenchSeries> out;
  for (int t = 0; static_cast<int>(out.size()) < total; ++t) {
    std::string instance = "127.0.0.1:" + std::to_string(20000 + t);
    for (const auto& s : vigil::bench::RolloutTargetSeries(t, per_target)) {
      std::vector<Label> l = {{"__name__", s.name}, {"instance", instance}, {"job", "rollout"}};
      for (const auto& [k, v] : s.labels) l.push_back({k, v});
      std::sort(l.begin(), l.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
      out.push_back({Labels(std::move(l)), t, s});
    }
  }
  out.resize(static_cast<size_t>(total));
  return out;
}

// Passes the hints on (or drops them: every selected series is then decoded whole) and
// counts the samples the engine is handed, a measure of the decoding that does not depend
// on the machine's load.
class Counting : public vigil::promql::Queryable {
 public:
  Counting(const vigil::promql::Queryable& q, bool hints, bool windows, size_t* samples)
      : q_(q), hints_(hints), windows_(windows), samples_(samples) {}
  std::vector<vigil::promql::SeriesView> Select(
      const vigil::promql::SelectHints& h,
      const std::vector<vigil::labels::Matcher>& m) const override {
    auto out = hints_ ? q_.Select(h, m) : q_.Select(m);
    for (const auto& s : out) *samples_ += s.points.size();
    return out;
  }
  // Window summaries (rate & co.) are used unless --windows 0; they decode nothing
  // beyond the samples appended since the previous evaluation, so they add nothing here.
  bool VisitWindows(const std::vector<vigil::labels::Matcher>& m, int64_t range,
                    vigil::TimestampMs maxt, bool with_resets, const WindowFn& fn) const override {
    return windows_ && q_.VisitWindows(m, range, maxt, with_resets, fn);
  }
  vigil::promql::SelectionId Identify(const std::vector<vigil::labels::Matcher>& m) const override {
    return windows_ ? q_.Identify(m) : vigil::promql::SelectionId{};
  }
  uint64_t generation() const override { return q_.generation(); }

 private:
  const vigil::promql::Queryable& q_;
  bool hints_;
  bool windows_;
  size_t* samples_;
};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  int total = 100000, per_target = 500, window_s = 600, evals = 5, retention_s = 360, step_s = 5;
  std::string rules_file = "bench/rollout_rules.yml";
  bool hints = true, windows = true, xor_only = false, grouping_cache = true, window_memo = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--series")) total = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--per-target")) per_target = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) window_s = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--evals")) evals = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--step-seconds")) step_s = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--retention-seconds")) retention_s = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rules")) rules_file = argv[i + 1];
    if (!std::strcmp(argv[i], "--hints")) hints = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--windows")) windows = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--xor_only")) xor_only = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--grouping-cache")) grouping_cache = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--window-memo")) window_memo = std::atoi(argv[i + 1]) != 0;
  }
  auto specs = vigil::rules::LoadRuleFile(rules_file);
  if (!specs.ok()) {
    std::fprintf(stderr, "%s\n", std::string(specs.status().message()).c_str());
    return 1;
  }
  std::vector<BenchSeries> series = MakeSeries(total, per_target);
  int targets = series.back().target + 1;
  std::vector<Labels> up;
  for (int t = 0; t < targets; ++t) {
    up.push_back(Labels({{"__name__", "up"},
                         {"instance", "127.0.0.1:" + std::to_string(20000 + t)},
                         {"job", "rollout"}}));
  }

  vigil::tsdb::Head head(nullptr, xor_only ? vigil::tsdb::ValueCodings::kXorOnly
                                           : vigil::tsdb::ValueCodings::kXorOrDecimal);
  const int64_t t0 = 1'700'000'000'000;
  auto fill = [&](int from_s, int to_s) {
    for (int s = from_s; s < to_s; ++s) {
      int64_t ts = t0 + int64_t{s} * 1000;
      for (const BenchSeries& b : series) {
        head.Append(b.labels, ts, vigil::bench::RolloutValue(b.target, b.shape, s + 1));
      }
      for (int t = 0; t < targets; ++t) head.Append(up[t], ts, t == 0 ? 0 : 1);
    }
  };
  auto a = std::chrono::steady_clock::now();
  fill(0, window_s);
  int64_t now = t0 + int64_t{window_s} * 1000;
  head.Truncate(now - int64_t{retention_s} * 1000);
  auto b = std::chrono::steady_clock::now();
  std::printf("head: %zu series, %zu samples, %.1f MB (%.0f B/series), filled in %.1f s\n",
              head.num_series(), head.num_samples(), head.memory_bytes() / 1e6,
              static_cast<double>(head.memory_bytes()) / static_cast<double>(head.num_series()),
              Seconds(a, b));

  // Where the head's bytes are, by metric name: the chunks of counters, sums and gauges
  // cost very different amounts.
  std::map<std::string, std::pair<size_t, size_t>> by_name;  // series, bytes
  for (const vigil::tsdb::MemSeries* m : head.Select({})) {
    auto& [n, bytes] = by_name[std::string(m->labels().Get("__name__"))];
    ++n;
    bytes += m->MemoryBytes();
  }
  for (const auto& [name, nb] : by_name) {
    std::printf("  %-40s %7zu series %6.0f B/series\n", name.c_str(), nb.first,
                static_cast<double>(nb.second) / static_cast<double>(nb.first));
  }

  vigil::rules::Group group((*specs)[0], absl::Seconds(5), Labels());
  // promql::EvalInstant, with the hints optionally dropped; the grouping cache kept across
  // evaluations and the window memo within one, as the evaluator keeps them, unless
  // --grouping-cache 0 / --window-memo 0.
  size_t samples = 0;
  vigil::promql::GroupingCache cache;
  vigil::promql::WindowMemo memo;
  vigil::promql::QueryOptions opts;
  if (grouping_cache) opts.grouping_cache = &cache;
  if (window_memo) opts.window_memo = &memo;
  vigil::rules::QueryFunc query =
      [&](const vigil::promql::Expr& e,
          vigil::TimestampMs at) -> absl::StatusOr<vigil::promql::Vector> {
    vigil::promql::HeadQueryable hq(head);
    absl::StatusOr<vigil::promql::Value> v =
        vigil::promql::Query(e, Counting(hq, hints, windows, &samples), at, opts);
    if (!v.ok()) return v.status();
    if (v->type == vigil::promql::ValueType::kScalar) {
      return vigil::promql::Vector{{Labels(), v->scalar, at}};
    }
    return std::move(v->vector);
  };
  std::vector<double> durations, cpu;
  for (int e = 0; e < evals; ++e) {
    if (e > 0) {
      fill(window_s + (e - 1) * step_s, window_s + e * step_s);
      now += int64_t{step_s} * 1000;
      head.Truncate(now - int64_t{retention_s} * 1000);
    }
    samples = 0;
    double cpu0 = CpuSeconds();
    auto c = std::chrono::steady_clock::now();
    vigil::rules::GroupResult r =
        group.Eval(now, query, {}, [&](const vigil::rules::RecordedSample& rs) {
          if (head.Append(rs.labels, rs.t, rs.value))
            memo.Appended(rs.labels, head.generation() - 1);
        });
    memo.Clear();
    auto d = std::chrono::steady_clock::now();
    durations.push_back(Seconds(c, d));
    cpu.push_back(CpuSeconds() - cpu0);
    size_t firing = 0;
    for (size_t i = 0; i < group.size(); ++i) {
      if (group.alerting(i) != nullptr) firing += group.alerting(i)->active().size();
    }
    std::printf(
        "eval %d: %.3f s (CPU %.3f s), %zu rules, %zu samples read, %zu written, "
        "%zu active alerts, %zu errors\n",
        e, durations.back(), cpu.back(), group.size(), samples, r.recorded.size(), firing,
        r.errors.size());
    for (const auto& [i, err] : r.errors) std::printf("  rule %zu: %s\n", i, err.c_str());
  }
  // The first evaluation (cold caches, every alert new) is left out when there are more.
  if (durations.size() > 1) {
    durations.erase(durations.begin());
    cpu.erase(cpu.begin());
  }
  std::sort(durations.begin(), durations.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("head after: %.1f MB (%.0f B/series)\n", head.memory_bytes() / 1e6,
              static_cast<double>(head.memory_bytes()) / static_cast<double>(head.num_series()));
  std::printf("grouping cache: %zu entries, %.1f MB; window memo: %llu hits\n", cache.num_entries(),
              cache.memory_bytes() / 1e6, static_cast<unsigned long long>(memo.hits()));
  std::printf(
      "group evaluation (hints %s, windows %s, grouping cache %s, window memo %s): median %.3f s "
      "(CPU %.3f s), min %.3f s, max %.3f s\n",
      hints ? "on" : "off", windows ? "on" : "off", grouping_cache ? "on" : "off",
      window_memo ? "on" : "off", durations[durations.size() / 2], cpu[cpu.size() / 2],
      durations.front(), durations.back());
  return 0;
}
