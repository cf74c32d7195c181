#pragma once

#include "lib/service/flags.h"
#include "services/collector/target.h"

namespace vigil::collector {

// The collector's I/O shell: loads prometheus.yml, scrapes on schedule with libcurl, and
// publishes sample batches on the bus until SIGINT/SIGTERM. Scrapes only the targets of
// `shard` (--shard). Returns the exit code.
int RunCollector(const service::CommonFlags& flags, Shard shard = {});

}  // namespace vigil::collector
