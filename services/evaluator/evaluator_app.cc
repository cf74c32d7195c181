#include "services/evaluator/evaluator_app.h"

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/bus/topics.h"
#include "lib/promconfig/promconfig.h"
#include "lib/service/runtime.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/evaluator/api_v1.h"
#include "services/evaluator/backfill.h"
#include "services/evaluator/evaluator.h"
#include "services/evaluator/evaluator_grpc.h"
#include "services/evaluator/group_metrics.h"
#include "services/evaluator/state_file.h"

namespace vigil::evaluator {

namespace {

absl::Status LoadAll(const std::string& path, Evaluator& core, TimestampMs now) {
  auto cfg = promconfig::LoadPrometheusConfig(path);
  if (!cfg.ok()) return cfg.status();
  return core.LoadRules(*cfg, now);
}

// Puts back the alert state saved before a restart. A state file that cannot be read is
// set aside (never deleted) and the evaluator starts with no alerts.
void RestoreState(const std::string& path, Evaluator& core, TimestampMs now) {
  auto snap = ReadStateFile(path);
  if (!snap.ok()) {
    std::string aside = path + ".corrupt";
    std::rename(path.c_str(), aside.c_str());
    spdlog::error("evaluator: {}; moved to {}, starting without alert state",
                  std::string(snap.status().message()), aside);
    return;
  }
  if (!snap->has_value()) return;
  size_t n = core.RestoreAlerts(**snap, now);
  spdlog::info("evaluator: restored {} of {} alerts from {} (written at {} ms)", n,
               (*snap)->alerts_size(), path, (*snap)->written_at_ms());
}

// What the reporter stored of the series `selectors` match, over the window; logged and
// empty when the reporter cannot give it.
std::optional<std::vector<codec::DecodedSeries>> ReadBack(
    const std::string& address, const Evaluator& core, TimestampMs now,
    const std::vector<std::vector<labels::Matcher>>& selectors) {
  auto series = Backfill(address, now - core.retention_ms(), now, selectors, absl::Seconds(10));
  if (!series.ok()) {
    spdlog::warn("evaluator: no backfill from the reporter at {}: {}", address,
                 std::string(series.status().message()));
    return std::nullopt;
  }
  return std::move(*series);
}

// Refills the window with what the reporter stored, so windowed rules are right at once.
// An unreachable reporter is not an error: the window then fills from the bus.
void BackfillWindow(const std::string& address, Evaluator& core, TimestampMs now) {
  auto series = ReadBack(address, core, now, core.Selectors());
  if (!series) return;
  TimestampMs oldest = now;
  for (const auto& s : *series) {
    if (!s.points.empty()) oldest = std::min(oldest, s.points.front().t);
  }
  size_t n = core.OnSamples(*series);
  // Held alerts wait only for the part of the window the reporter could not give.
  core.set_data_since(oldest);
  spdlog::info("evaluator: backfilled {} samples of {} series from the reporter at {}", n,
               series->size(), address);
}

// After a reload: the series the new rules read that the head kept only the newest samples
// of (no rule read them), or all of them when the window grew, get their history from the
// reporter before the next evaluation, so a new rate(x[5m]) is right at once, as in
// Prometheus, whose storage has it. Blocks the loop for at most the deadline; a failed
// read is not retried (the rules then fill their windows from the bus).
void BackfillAfterReload(const std::string& address, Evaluator& core, TimestampMs now) {
  if (core.SelectorsLackingHistory().empty()) return;
  auto series = ReadBack(address, core, now, core.SelectorsLackingHistory());
  if (!series) return;
  size_t n = core.InsertHistory(*series);
  spdlog::info("evaluator: after the reload, {} older samples of {} series from the reporter at {}",
               n, series->size(), address);
}

}  // namespace

int RunEvaluator(const service::CommonFlags& flags, EvaluatorOptions options,
                 const std::string& reporter_grpc_address) {
  const Clock& clock = SystemClock();
  auto external_url = service::ExternalUrl(flags.web_external_url, flags.web_listen_address);
  if (!external_url.ok()) {
    std::fprintf(stderr, "error: --web.external-url: %s\n",
                 std::string(external_url.status().message()).c_str());
    return 1;
  }
  options.external_url = *std::move(external_url);
  options.clock = [] {
    return absl::UnixEpoch() +
           absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  };
  Evaluator core(std::move(options));
  if (auto s = LoadAll(flags.config_file, core, clock.NowMs()); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const std::string state_path =
      flags.storage_path.empty() ? "" : StrCat(flags.storage_path, "/alerts.state");
  if (!state_path.empty()) RestoreState(state_path, core, clock.NowMs());
  zmq::context_t ctx;
  service::Runtime rt("evaluator", flags, clock);
  // Subscribed before the backfill: what the collector publishes while the reporter is
  // read waits in the socket, instead of falling between the two (a sample in both is
  // appended once: the window takes no timestamp twice).
  bus::Subscriber subscriber(ctx, rt.registry());
  for (const std::string& c : flags.bus_connect) subscriber.Connect(c);
  subscriber.Subscribe(std::string(bus::kTopicSamples));
  if (!reporter_grpc_address.empty()) BackfillWindow(reporter_grpc_address, core, clock.NowMs());
  EvaluatorService grpc_service(rt, core);
  rt.AddGrpcService(&grpc_service);
  ApiV1 api_v1(rt, core);  // Prometheus /api/v1/*

  auto& invalid = prometheus::BuildCounter()
                      .Name("vigil_evaluator_batches_invalid_total")
                      .Help("Sample batches from the bus rejected as malformed.")
                      .Register(rt.registry())
                      .Add({});
  auto& appended = prometheus::BuildCounter()
                       .Name("vigil_evaluator_samples_appended_total")
                       .Help("Samples appended to the in-memory window.")
                       .Register(rt.registry())
                       .Add({});
  auto& events = prometheus::BuildCounter()
                     .Name("vigil_evaluator_alert_events_published_total")
                     .Help("Alert events published.")
                     .Register(rt.registry())
                     .Add({});
  auto& head_series = prometheus::BuildGauge()
                          .Name("vigil_evaluator_head_series")
                          .Help("Series in the in-memory window.")
                          .Register(rt.registry())
                          .Add({});

  auto& evaluations = prometheus::BuildCounter()
                          .Name("vigil_evaluator_rule_group_evaluations_total")
                          .Help(
                              "Rule group evaluations, by what triggered them: a complete "
                              "round, fresh data for every series the group reads (data); "
                              "fresh data for some of them (early); the interval timer.")
                          .Register(rt.registry());
  auto& by_data = evaluations.Add({{"trigger", "data"}});
  auto& early = evaluations.Add({{"trigger", "early"}});
  auto& by_timer = evaluations.Add({{"trigger", "timer"}});
  // From the arrival of the samples behind an evaluation on data to the publication of the
  // alert events it produced. The loop reads up to 1000 batches before it evaluates; the
  // clock starts at the first of them, so a sample is never counted as younger than it is.
  auto& latency =
      prometheus::BuildHistogram()
          .Name("vigil_evaluator_sample_to_alert_event_seconds")
          .Help(
              "Latency from the arrival of the samples that triggered an "
              "evaluation to the publication of its alert events.")
          .Register(rt.registry())
          // Fine from 10 µs (an evaluation of a few series) to 2.5 s (a scrape round and
          // one evaluation at 100k series, where 0.25 / 0.5 / 1 alone read as bucket
          // bounds: docs/PERFORMANCE.md).
          .Add({}, prometheus::Histogram::BucketBoundaries{
                       0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                       0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.25, 1.5,
                       2, 2.5, 5, 10});
  // Prometheus's prometheus_rule_group_last_duration_seconds, same rule_group label.
  GroupMetrics group_metrics(rt.registry());
  group_metrics.Retain(core.groups());
  core.set_evaluation_hook(
      [&group_metrics](const rules::Group& g, const std::function<void()>& evaluate) {
        auto start = std::chrono::steady_clock::now();
        evaluate();
        auto took = std::chrono::steady_clock::now() - start;
        group_metrics.ObserveDuration(g, std::chrono::duration<double>(took).count());
        return absl::FromChrono(took);
      });
  auto& head_bytes = prometheus::BuildGauge()
                         .Name("vigil_evaluator_head_bytes")
                         .Help("Estimated memory held by the in-memory window.")
                         .Register(rt.registry())
                         .Add({});
  // The same by part, to see where a series' bytes go (docs/PERFORMANCE.md).
  auto& head_part_bytes_family =
      prometheus::BuildGauge()
          .Name("vigil_evaluator_head_part_bytes")
          .Help("Estimated memory held by the in-memory window, by part.")
          .Register(rt.registry());
  std::vector<prometheus::Gauge*> head_part_bytes;  // in ForEachPart's order
  tsdb::Head::Bytes{}.ForEachPart([&](const char* part, size_t) {
    head_part_bytes.push_back(&head_part_bytes_family.Add({{"part", part}}));
  });
  auto& grouping_cache_bytes =
      prometheus::BuildGauge()
          .Name("vigil_evaluator_grouping_cache_bytes")
          .Help("Estimated memory held by the rules' aggregations' groups kept per series.")
          .Register(rt.registry())
          .Add({});
  auto& state_writes_failed = prometheus::BuildCounter()
                                  .Name("vigil_evaluator_state_writes_failed_total")
                                  .Help("Failed writes of the alert state file.")
                                  .Register(rt.registry())
                                  .Add({});

  bus::Publisher publisher(ctx, "evaluator", rt.registry(), clock);
  auto ep = publisher.Bind(flags.bus_publish_address);
  if (!ep.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(ep.status().message()).c_str());
    return 1;
  }
  rt.AddEndpoint("bus", *ep);

  rt.SetHooks({
      .reload =
          [&]() {
            absl::Status loaded = LoadAll(flags.config_file, core, clock.NowMs());
            group_metrics.Retain(core.groups());
            if (loaded.ok() && !reporter_grpc_address.empty()) {
              BackfillAfterReload(reporter_grpc_address, core, clock.NowMs());
              core.SkipTimersPast(clock.NowMs());  // slots that came while it waited
            }
            return loaded;
          },
      .status =
          [&](v1::ServiceStatus* s) {
            auto& stats = *s->mutable_stats();
            stats["rule_groups"] = static_cast<double>(core.groups().size());
            stats["rules"] = static_cast<double>(core.rule_count());
            stats["head_series"] = static_cast<double>(core.head().num_series());
            stats["head_samples"] = static_cast<double>(core.head().num_samples());
            int firing = 0, pending = 0;
            for (const auto& e : core.ActiveAlerts(clock.NowMs())) {
              firing += e.state() == v1::ALERT_STATE_FIRING;
              pending += e.state() == v1::ALERT_STATE_PENDING;
            }
            stats["alerts_firing"] = firing;
            stats["alerts_pending"] = pending;
            for (const auto& g : core.groups()) {
              for (size_t i = 0; i < g->size(); ++i) {
                if (!g->rule_error(i).empty()) {
                  s->add_problems(StrCat("rule ", g->rule(i).name(), " in group ", g->name(),
                                         " fails: ", g->rule_error(i)));
                }
              }
            }
            s->set_bus_gaps(subscriber.gaps());
            s->set_bus_dropped(subscriber.dropped());
          },
  });
  if (auto s = rt.Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  rt.SetReady(true);
  spdlog::info("evaluator: {} rules in {} groups, publishing on {}", core.rule_count(),
               core.groups().size(), *ep);

  std::chrono::steady_clock::time_point next_head_bytes{};
  std::vector<char> arena_block(1 << 20);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block.data();
  arena_options.initial_block_size = arena_block.size();
  while (!rt.stopping()) {
    int timeout_ms = 1000;
    if (auto next = core.NextDeadline()) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(*next - clock.NowMs(), 0, 1000));
    }
    zmq::pollitem_t items[] = {{subscriber.socket().handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, rt.tasks().fd(), ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(timeout_ms));
    rt.tasks().RunAll();
    std::optional<std::chrono::steady_clock::time_point> arrival;  // of this pass's first batch
    for (int i = 0; i < 1000; ++i) {  // bounded, so timers and tasks are not starved
      auto m = subscriber.Receive();
      if (!m) break;
      // The batch's messages live in an arena on a block kept across batches: parsing and
      // freeing a batch's thousands of small messages costs no malloc (with the copies of
      // every series they replace, over a third of the CPU at 100k series, most of it glibc
      // searching its bins: docs/PERFORMANCE.md).
      google::protobuf::Arena arena(arena_options);
      auto* batch = google::protobuf::Arena::CreateMessage<v1::SampleBatch>(&arena);
      if (!m->ParseAs(batch)) {
        invalid.Increment();
        continue;
      }
      const auto received = std::chrono::steady_clock::now();
      absl::StatusOr<size_t> n = core.OnSampleBatch(*batch);
      if (!n.ok()) {
        invalid.Increment();
        continue;
      }
      if (!arrival) arrival = received;
      appended.Increment(static_cast<double>(*n));
    }
    const TimestampMs now_ms = clock.NowMs();
    TickOutput out = core.EvaluateDue(now_ms);
    if (out.alerts.alerts_size() > 0) {
      publisher.Publish(bus::kTopicAlerts, out.alerts);
      events.Increment(out.alerts.alerts_size());
      if (out.data_triggered_alerts > 0) {
        // Plus how long before this pass the group's first fresh data came (a round's
        // wait for its last member, an early evaluation's wait for the budget).
        const auto since = arrival.value_or(std::chrono::steady_clock::now());
        latency.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count() +
            static_cast<double>(out.data_wait_ms) / 1000);
      }
    }
    if (out.recorded.series_size() > 0) publisher.Publish(bus::kTopicRecordedSamples, out.recorded);
    by_data.Increment(out.round_evaluations);
    early.Increment(out.early_evaluations);
    by_timer.Increment(out.timer_evaluations);
    for (const auto& [group, missed] : out.missed_iterations) {
      group_metrics.AddMissedIterations(*group, missed);
    }
    // Alert state changes only when a group is evaluated; the digest walk is not for
    // every wake-up of the loop.
    bool evaluated = out.round_evaluations + out.early_evaluations + out.timer_evaluations > 0;
    if (!state_path.empty() && evaluated && core.alerts_changed()) {
      if (auto s = WriteStateFile(state_path, core.SnapshotAlerts(clock.NowMs())); s.ok()) {
        core.MarkPersisted();
      } else {
        state_writes_failed.Increment();
        spdlog::error("evaluator: {}", std::string(s.message()));
      }
    }
    core.TruncateIfDue(now_ms);  // after publishing: no alert waits for it
    head_series.Set(static_cast<double>(core.head().num_series()));
    // memory_bytes() walks every series: not on every batch.
    if (auto now = std::chrono::steady_clock::now(); now >= next_head_bytes) {
      const tsdb::Head::Bytes parts = core.head().memory_parts();
      head_bytes.Set(static_cast<double>(parts.total()));
      size_t i = 0;
      parts.ForEachPart([&](const char*, size_t bytes) {
        head_part_bytes[i++]->Set(static_cast<double>(bytes));
      });
      grouping_cache_bytes.Set(static_cast<double>(core.grouping_cache().memory_bytes()));
      next_head_bytes = now + std::chrono::seconds(5);
    }
  }
  rt.Shutdown();
  spdlog::info("evaluator stopped");
  return 0;
}

}  // namespace vigil::evaluator
