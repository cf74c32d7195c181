#include "services/collector/collector_app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/promconfig/promconfig.h"
#include "lib/service/runtime.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "services/collector/collector_grpc.h"
#include "services/collector/file_sd.h"
#include "services/collector/http_scraper.h"
#include "services/collector/scrape_manager.h"

namespace vigil::collector {

int RunCollector(const service::CommonFlags& flags, const CollectorOptions& options) {
  auto cfg = promconfig::LoadPrometheusConfig(flags.config_file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(cfg.status().message()).c_str());
    return 1;
  }
  const Clock& clock = SystemClock();
  zmq::context_t ctx;
  service::Runtime rt("collector", flags, clock);
  ScrapeManager manager;
  manager.SetShard(options.shard);
  manager.SetAdjustTimestamps(options.adjust_timestamps);
  HttpScraper scraper;
  CollectorService grpc_service(rt, manager);
  rt.AddGrpcService(&grpc_service);

  auto& scrapes = prometheus::BuildCounter()
                      .Name("vigil_collector_scrapes_total")
                      .Help("Scrapes completed, by result.")
                      .Register(rt.registry());
  auto& scrapes_ok = scrapes.Add({{"result", "success"}});
  auto& scrapes_failed = scrapes.Add({{"result", "failure"}});
  auto& samples_published = prometheus::BuildCounter()
                                .Name("vigil_collector_samples_published_total")
                                .Help("Samples published on the bus.")
                                .Register(rt.registry())
                                .Add({});
  auto& targets_gauge = prometheus::BuildGauge()
                            .Name("vigil_collector_targets")
                            .Help("Configured scrape targets.")
                            .Register(rt.registry())
                            .Add({});

  bus::Publisher publisher(ctx, "collector", rt.registry(), clock);
  auto ep = publisher.Bind(flags.bus_publish_address);
  if (!ep.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(ep.status().message()).c_str());
    return 1;
  }
  rt.AddEndpoint("bus", *ep);

  auto publish = [&](const v1::SampleBatch& batch) {
    if (batch.series_size() == 0) return;
    publisher.Publish(bus::kTopicSamples, batch);
    samples_published.Increment(batch.series_size());
  };
  // The config as loaded; file_sd targets are added to it whenever their files change.
  promconfig::PrometheusConfig current = *cfg;
  FileDiscovery discovery;
  auto apply = [&]() {
    publish(manager.ApplyConfig(discovery.Effective(current), clock.NowMs()));
    targets_gauge.Set(static_cast<double>(manager.targets().size()));
  };
  auto load = [&](promconfig::PrometheusConfig c) {
    current = std::move(c);
    discovery.SetConfig(current);
    discovery.Refresh(clock.NowMs());
    apply();
  };
  constexpr int64_t kFileSdPollMs = 1000;  // mtime polling of file_sd files
  TimestampMs next_sd_poll = 0;

  rt.SetHooks({
      .reload = [&]() -> absl::Status {
        auto next = promconfig::LoadPrometheusConfig(flags.config_file);
        if (!next.ok()) return next.status();
        load(std::move(*next));
        return absl::OkStatus();
      },
      .status =
          [&](v1::ServiceStatus* s) {
            int up = 0, down = 0;
            for (const Target& t : manager.targets()) {
              if (t.health == Health::kUp) ++up;
              if (t.health == Health::kDown) {
                ++down;
                s->add_problems(
                    StrCat("target ", t.url, " (job ", t.job, ") is down: ", t.last_error));
              }
            }
            for (const std::string& p : discovery.problems()) s->add_problems(p);
            auto& stats = *s->mutable_stats();
            stats["file_sd_files"] = static_cast<double>(discovery.files());
            stats["targets"] = static_cast<double>(manager.targets().size());
            stats["targets_up"] = up;
            stats["targets_down"] = down;
            stats["shard_index"] = static_cast<double>(manager.shard().index);
            stats["shard_count"] = static_cast<double>(manager.shard().count);
            stats["targets_other_shards"] =
                static_cast<double>(manager.other_shard_targets());
            stats["samples_published"] = samples_published.Value();
          },
  });
  if (auto s = rt.Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  load(*cfg);
  next_sd_poll = clock.NowMs() + kFileSdPollMs;
  rt.SetReady(true);
  spdlog::info("collector publishing on {} with {} targets (shard {}, {} on other shards)", *ep,
               manager.targets().size(), manager.shard().ToString(),
               manager.other_shard_targets());

  while (!rt.stopping()) {
    absl::Time now_time = clock.Now();
    TimestampMs now = ToMs(now_time);
    if (now >= next_sd_poll) {
      if (discovery.Refresh(now)) apply();
      next_sd_poll = now + kFileSdPollMs;
    }
    for (const ScrapeRequest& req : manager.TakeDue(now_time)) scraper.Start(req, req.timestamp_ms);
    for (HttpScraper::Completed& c : scraper.Collect()) {
      (c.result.error.empty() ? scrapes_ok : scrapes_failed).Increment();
      if (!c.result.error.empty()) {
        spdlog::debug("scrape of {} failed: {}", c.target_key, c.result.error);
      }
      if (auto batch = manager.OnScrapeDone(c.target_key, c.started, c.result)) publish(*batch);
    }
    int timeout_ms = 1000;
    if (auto next = manager.NextDeadline()) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(*next - clock.NowMs(), 0, 1000));
    }
    if (scraper.in_flight() > 0) timeout_ms = std::min(timeout_ms, 100);
    timeout_ms = static_cast<int>(
        std::clamp<int64_t>(std::min<int64_t>(timeout_ms, next_sd_poll - clock.NowMs()), 0, 1000));
    scraper.Wait(timeout_ms, rt.tasks().fd());
    rt.tasks().RunAll();
  }
  rt.Shutdown();
  spdlog::info("collector stopped");
  return 0;
}

}  // namespace vigil::collector
