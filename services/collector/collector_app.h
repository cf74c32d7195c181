#pragma once

#include "lib/service/flags.h"

namespace vigil::collector {

// The collector's I/O shell: loads prometheus.yml, scrapes on schedule with libcurl, and
// publishes sample batches on the bus until SIGINT/SIGTERM. Returns the exit code.
int RunCollector(const service::CommonFlags& flags);

}  // namespace vigil::collector
