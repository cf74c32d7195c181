#pragma once

#include <string>

#include "absl/status/status.h"

namespace vigil::service {

// Sets spdlog's default logger: stderr, `level` (debug|info|warn|error), `format`
// "logfmt" (ts=... level=... msg="...") or "json" (one JSON object a line), every line
// carrying the service name, as Prometheus's go-kit loggers do.
absl::Status InitLogging(const std::string& service, const std::string& level,
                         const std::string& format);

}  // namespace vigil::service
