#pragma once

#include "lib/service/flags.h"
#include "services/collector/target.h"

namespace vigil::collector {

// The collector's own flags.
struct CollectorOptions {
  Shard shard;                    // --shard: scrape only this shard's targets
  bool adjust_timestamps = true;  // --scrape.adjust-timestamps, as Prometheus's
};

// The collector's I/O shell: loads prometheus.yml, scrapes on schedule with libcurl, and
// publishes sample batches on the bus until SIGINT/SIGTERM. Returns the exit code.
int RunCollector(const service::CommonFlags& flags, const CollectorOptions& options = {});

}  // namespace vigil::collector
