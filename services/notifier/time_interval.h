#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"

namespace vigil::notifier {

// One entry of an Alertmanager `time_intervals[].time_intervals` list
// (`timeinterval.TimeInterval`): the instant is inside when every field given matches;
// a field left out matches everything.
struct TimeInterval {
  struct MinuteRange {
    int start;  // minute of the day, inclusive
    int end;    // exclusive, up to 1440
  };
  struct Range {
    int begin;  // inclusive
    int end;    // inclusive
  };
  std::vector<MinuteRange> times;
  std::vector<Range> weekdays;       // 0 = Sunday
  std::vector<Range> days_of_month;  // 1..31, or negative from the month's end
  std::vector<Range> months;         // 1..12
  std::vector<Range> years;
  absl::TimeZone location = absl::UTCTimeZone();

  bool Contains(TimestampMs t) const;
};

// Named intervals, as `time_intervals` (and the older `mute_time_intervals`) define them.
using TimeIntervals = std::map<std::string, std::vector<TimeInterval>, std::less<>>;

// True when `t` is inside any interval of `name` (false for unknown names).
bool InTimeInterval(const TimeIntervals& intervals, std::string_view name, TimestampMs t);

// Field parsers with Alertmanager's syntax; errors say what is wrong with the value.
// "HH:MM" from 00:00 to 24:00.
absl::StatusOr<int> ParseMinuteOfDay(std::string_view text);
// "monday", "monday:friday" (case-insensitive).
absl::StatusOr<TimeInterval::Range> ParseWeekdayRange(std::string_view text);
// "1", "1:5", "-3:-1" (1..31 or -31..-1, not 0).
absl::StatusOr<TimeInterval::Range> ParseDayOfMonthRange(std::string_view text);
// "january", "1", "january:march", "1:3".
absl::StatusOr<TimeInterval::Range> ParseMonthRange(std::string_view text);
// "2024", "2020:2022".
absl::StatusOr<TimeInterval::Range> ParseYearRange(std::string_view text);

}  // namespace vigil::notifier
