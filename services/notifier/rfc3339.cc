#include "services/notifier/rfc3339.h"

#include "lib/base/format.h"

namespace vigil::notifier {

namespace {
constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";
}

std::string FormatGoTime(TimestampMs ms) {
  if (ms == 0) return std::string(kGoZeroTime);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", FromMs(ms), absl::UTCTimeZone());
}

std::string FormatApiTime(TimestampMs ms) {
  if (ms == 0) return "0001-01-01T00:00:00.000Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", FromMs(ms), absl::UTCTimeZone());
}

absl::StatusOr<TimestampMs> ParseRfc3339(std::string_view text) {
  if (text == kGoZeroTime) return 0;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) {
    return absl::InvalidArgumentError(StrCat("invalid RFC3339 time \"", text, "\": ", err));
  }
  // Go's zero time in any spelling ("0001-01-01T00:00:00.000Z" from amtool alert add).
  static const absl::Time kGoZero =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (t == kGoZero) return 0;
  return ToMs(t);
}

}  // namespace vigil::notifier
