#include "services/notifier/time_interval.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "lib/base/format.h"

namespace vigil::notifier {

namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};
constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

bool InAny(const std::vector<TimeInterval::Range>& ranges, int v) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [v](const TimeInterval::Range& r) { return v >= r.begin && v <= r.end; });
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Splits "a:b" (or "a") and parses each side with `one`.
template <typename Fn>
absl::StatusOr<TimeInterval::Range> ParseRange(std::string_view text, std::string_view what, Fn one,
                                               bool check_order = true) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(text));
  std::string_view s = lower;
  const size_t colon = s.find(':');
  auto begin = one(s.substr(0, colon));
  if (!begin.ok()) return begin.status();
  int end = *begin;
  if (colon != std::string_view::npos) {
    auto e = one(s.substr(colon + 1));
    if (!e.ok()) return e.status();
    end = *e;
  }
  if (check_order && end < *begin) {
    return absl::InvalidArgumentError(
        StrCat("start ", what, " cannot be after end ", what, " in \"", text, "\""));
  }
  return TimeInterval::Range{*begin, end};
}

absl::StatusOr<int> Number(std::string_view s, int lo, int hi, std::string_view what) {
  int v = 0;
  if (!absl::SimpleAtoi(ToAbsl(s), &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(StrCat("invalid ", what, " \"", s, "\""));
  }
  return v;
}

}  // namespace

bool TimeInterval::Contains(TimestampMs t) const {
  const absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixMillis(t), location);
  if (!times.empty()) {
    const int minute = cs.hour() * 60 + cs.minute();
    if (!std::any_of(times.begin(), times.end(), [minute](const MinuteRange& r) {
          return minute >= r.start && minute < r.end;
        })) {
      return false;
    }
  }
  if (!days_of_month.empty()) {
    const int days = DaysInMonth(cs.year(), cs.month());
    bool in = false;
    for (const Range& r : days_of_month) {
      int begin = r.begin < 0 ? days + r.begin + 1 : r.begin;
      int end = r.end < 0 ? days + r.end + 1 : r.end;
      if (begin > days) continue;
      begin = std::clamp(begin, -days, days);
      end = std::clamp(end, -days, days);
      if (cs.day() >= begin && cs.day() <= end) {
        in = true;
        break;
      }
    }
    if (!in) return false;
  }
  if (!months.empty() && !InAny(months, cs.month())) return false;
  if (!weekdays.empty()) {
    const int weekday = (static_cast<int>(absl::GetWeekday(absl::CivilDay(cs))) + 1) % 7;
    if (!InAny(weekdays, weekday)) return false;
  }
  if (!years.empty() && !InAny(years, static_cast<int>(cs.year()))) return false;
  return true;
}

bool InTimeInterval(const TimeIntervals& intervals, std::string_view name, TimestampMs t) {
  auto it = intervals.find(name);
  if (it == intervals.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [t](const TimeInterval& ti) { return ti.Contains(t); });
}

absl::StatusOr<int> ParseMinuteOfDay(std::string_view text) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' || !absl::SimpleAtoi(ToAbsl(text.substr(0, 2)), &h) ||
      !absl::SimpleAtoi(ToAbsl(text.substr(3, 2)), &m) || h < 0 || h > 24 || m < 0 || m > 59 ||
      (h == 24 && m != 0)) {
    return absl::InvalidArgumentError(
        StrCat("couldn't parse timestamp ", text, ", invalid format (want HH:MM, 00:00 to 24:00)"));
  }
  return h * 60 + m;
}

absl::StatusOr<TimeInterval::Range> ParseWeekdayRange(std::string_view text) {
  return ParseRange(text, "day", [](std::string_view s) -> absl::StatusOr<int> {
    auto it = std::find(kWeekdays.begin(), kWeekdays.end(), s);
    if (it == kWeekdays.end())
      return absl::InvalidArgumentError(StrCat("invalid weekday \"", s, "\""));
    return static_cast<int>(it - kWeekdays.begin());
  });
}

absl::StatusOr<TimeInterval::Range> ParseDayOfMonthRange(std::string_view text) {
  auto r = ParseRange(
      text, "day",
      [](std::string_view s) -> absl::StatusOr<int> {
        auto v = Number(s, -31, 31, "day of month");
        if (v.ok() && *v == 0) {
          return absl::InvalidArgumentError("0 is not a valid day of the month");
        }
        return v;
      },
      /*check_order=*/false);
  if (!r.ok()) return r;
  // Alertmanager's check, counting negative days back from a 30-day month.
  const int begin = r->begin < 0 ? 30 + r->begin : r->begin;
  const int end = r->end < 0 ? 30 + r->end : r->end;
  if (begin > end) {
    return absl::InvalidArgumentError(
        StrCat("end day must be greater than start day in \"", text, "\""));
  }
  return r;
}

absl::StatusOr<TimeInterval::Range> ParseMonthRange(std::string_view text) {
  return ParseRange(text, "month", [](std::string_view s) -> absl::StatusOr<int> {
    auto it = std::find(kMonths.begin(), kMonths.end(), s);
    if (it != kMonths.end()) return static_cast<int>(it - kMonths.begin()) + 1;
    return Number(s, 1, 12, "month");
  });
}

absl::StatusOr<TimeInterval::Range> ParseYearRange(std::string_view text) {
  return ParseRange(text, "year", [](std::string_view s) { return Number(s, 0, 9999, "year"); });
}

}  // namespace vigil::notifier
