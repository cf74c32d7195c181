#pragma once

#include "lib/service/flags.h"
#include "services/evaluator/evaluator.h"

namespace vigil::evaluator {

// The evaluator's I/O shell: subscribes to samples, evaluates the rule files named by
// prometheus.yml, publishes alert events and recorded samples. Returns the exit code.
// `options.external_url` is --web.external-url (or http://<hostname>:<port>). With a
// `reporter_grpc_address`, the window is backfilled from the reporter before the evaluator
// reports ready.
int RunEvaluator(const service::CommonFlags& flags, EvaluatorOptions options,
                 const std::string& reporter_grpc_address);

}  // namespace vigil::evaluator
