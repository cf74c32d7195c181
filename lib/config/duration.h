#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::config {

// Parses a Prometheus duration (common/model ParseDuration): one or more of
// <number><unit> with units y, w, d, h, m, s, ms in that order, e.g. "1h30m", "5m", "0s".
absl::StatusOr<absl::Duration> ParseDuration(std::string_view s);

// Formats like Prometheus's model.Duration.String(): "1h30m", "5m", "0s", "250ms".
std::string FormatPromDuration(absl::Duration d);

}  // namespace vigil::config
