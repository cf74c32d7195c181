#include <CLI/CLI.hpp>
#include <cstdio>

#include "lib/config/duration.h"
#include "lib/service/flags.h"
#include "lib/service/logging.h"
#include "lib/service/signals.h"
#include "services/notifier/notifier_app.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();  // first, before any thread exists
  CLI::App app{"vigil-notifier: routes alert events to receivers, like Alertmanager"};
  vigil::service::CommonFlags flags;
  vigil::service::AddCommonFlags(app, vigil::service::NotifierDefaults(), &flags);
  vigil::notifier::NotifierOptions options;
  app.add_option("--evaluator.grpc-address", options.evaluator_grpc_address,
                 "Evaluator gRPC address to resync active alerts from on start and after a "
                 "bus gap (\"none\": never)")
      ->capture_default_str();
  app.add_option("--cluster.peer", options.cluster_peers,
                 "Bus endpoint of another notifier replica (repeatable); replicas share their "
                 "notification log so that each notification is delivered once");
  app.add_option("--cluster.position", options.cluster_position,
                 "This replica's position: 0 delivers at once, N waits N x peer timeout for "
                 "the replicas before it")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string peer_timeout = "15s";
  app.add_option("--cluster.peer-timeout", peer_timeout,
                 "A replica not heard from for this long is considered dead")
      ->capture_default_str();
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc;
  auto timeout = vigil::config::ParseDuration(peer_timeout);
  if (!timeout.ok() || *timeout <= absl::ZeroDuration()) {
    std::fprintf(stderr, "error: --cluster.peer-timeout: invalid duration %s\n",
                 peer_timeout.c_str());
    return 2;
  }
  options.cluster_peer_timeout = *timeout;
  if (auto s = vigil::service::InitLogging("notifier", flags.log_level, flags.log_format);
      !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (options.evaluator_grpc_address == "none") options.evaluator_grpc_address.clear();
  return vigil::notifier::RunNotifier(flags, options);
}
