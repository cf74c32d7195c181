#pragma once

#include "lib/service/flags.h"

namespace vigil::notifier {

// The notifier daemon's I/O shell around the Dispatcher core: loads the config, binds
// HTTP (/api/v2/alerts plus the runtime's routes), gRPC (vigil.v1.Notifier, Control) and
// the bus publisher, subscribes to "alerts", runs the loop on the calling thread until
// SIGINT/SIGTERM, and hands notifications to the delivery worker. Returns the exit code.
int RunNotifier(const service::CommonFlags& flags);

}  // namespace vigil::notifier
