#pragma once

#include "absl/time/time.h"
#include "lib/service/flags.h"

namespace vigil::evaluator {

// The evaluator's I/O shell: subscribes to samples, evaluates the rule files named by
// prometheus.yml, publishes alert events and recorded samples. Returns the exit code.
int RunEvaluator(const service::CommonFlags& flags, absl::Duration resend_delay);

}  // namespace vigil::evaluator
