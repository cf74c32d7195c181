#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

#include "lib/service/flags.h"

namespace vigil::notifier {

// The notifier's own flags, beyond the common ones.
struct NotifierOptions {
  // vigil.v1.Evaluator, asked for its active alerts on start and after a bus gap; empty
  // (flag value "none"): never resync.
  std::string evaluator_grpc_address = "127.0.0.1:9502";
  // HA (docs/HA.md): the bus endpoints of the other replicas; none: a single notifier.
  std::vector<std::string> cluster_peers;
  // This replica's place in the delivery order: 0 (the primary) delivers at once,
  // position p waits p x cluster_peer_timeout for a peer to deliver first.
  int cluster_position = 0;
  // A peer not heard from (heartbeats) for this long is dead; also the unit of waiting.
  absl::Duration cluster_peer_timeout = absl::Seconds(15);
};

// The notifier daemon's I/O shell around the Dispatcher core: loads the config, binds
// HTTP (/api/v2/alerts plus the runtime's routes), gRPC (vigil.v1.Notifier, Control) and
// the bus publisher, subscribes to "alerts", runs the loop on the calling thread until
// SIGINT/SIGTERM, and hands notifications to the delivery worker. On start and whenever
// the bus reports lost alert events, it resyncs the active alerts from the evaluator.
// With --cluster.peer, notifications pass through a ClusterNode first (docs/HA.md).
// Returns the exit code.
int RunNotifier(const service::CommonFlags& flags, const NotifierOptions& options = {});

}  // namespace vigil::notifier
