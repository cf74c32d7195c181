// vigil-collector: scrapes Prometheus targets and publishes their samples on the bus.
#include <malloc.h>

#include <cstdio>
#include <string>

#include "lib/service/flags.h"
#include "lib/service/logging.h"
#include "lib/service/signals.h"
#include "services/collector/collector_app.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();
  // Scrape bodies and bus payloads are a few hundred kB each, allocated and freed on every
  // scrape. By default glibc maps such blocks fresh and returns them to the kernel, so each
  // scrape page-faults its memory in again: about 60% of the collector's CPU in
  // bench/collector_vs_prometheus.sh. Keep them in the heap instead.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"vigil-collector: scrapes Prometheus targets and publishes samples on the bus"};
  vigil::service::CommonFlags flags;
  vigil::service::AddCommonFlags(app, vigil::service::CollectorDefaults(), &flags);
  std::string shard_text = "0/1";
  app.add_option("--shard", shard_text,
                 "i/N: scrape only the targets whose address hashes (md5 hashmod) to i mod N, "
                 "so N collectors split the targets");
  vigil::collector::CollectorOptions options;
  app.add_flag("--scrape.adjust-timestamps,!--no-scrape.adjust-timestamps",
               options.adjust_timestamps,
               "Adjust scrape timestamps by up to 2ms to align them to the intended schedule "
               "(as Prometheus; intervals above 200ms).")
      ->default_str("true");
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc;
  auto shard = vigil::collector::ParseShard(shard_text);
  if (!shard.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(shard.status().message()).c_str());
    return 2;
  }
  options.shard = *shard;
  if (auto s = vigil::service::InitLogging("collector", flags.log_level, flags.log_format);
      !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return vigil::collector::RunCollector(flags, options);
}
