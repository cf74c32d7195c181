#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"

namespace vigil::notifier {

// Formats like Go's time.Time JSON encoding (RFC3339Nano, UTC): "2026-01-02T15:04:05.25Z",
// trailing zeros of the fraction dropped. 0 means "unset" and gives Go's zero time
// "0001-01-01T00:00:00Z", as in Alertmanager's payloads.
std::string FormatGoTime(TimestampMs ms);

// Formats as Alertmanager's API v2 writes its times (go-openapi's strfmt.DateTime, format
// "2006-01-02T15:04:05.000Z07:00", UTC): always three fraction digits, "…05.000Z",
// "…05.250Z". 0 gives the zero time in the same form.
std::string FormatApiTime(TimestampMs ms);

// Parses an RFC3339 time with optional fraction and any offset. Go's zero time parses as 0.
absl::StatusOr<TimestampMs> ParseRfc3339(std::string_view text);

}  // namespace vigil::notifier
