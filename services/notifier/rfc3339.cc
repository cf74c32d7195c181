#include "services/notifier/rfc3339.h"

#include "lib/base/format.h"

namespace vigil::notifier {

namespace {

constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

enum class Fraction { kTrimmed, kMillis };  // absl's %E*S, %E3S

// "YYYY-MM-DDTHH:MM:SS[.fff]Z" for years 1..9999, written directly: every webhook payload
// carries two times per alert, and absl::FormatTime (time zone lookup, strftime) was a
// twentieth of the notifier's loop. Other years: absl. The civil date from days since the
// epoch is Howard Hinnant's civil_from_days.
std::string FormatUtc(TimestampMs ms, Fraction fraction) {
  // Outside years 1..9999 (checked first: the arithmetic below would overflow near
  // INT64_MIN, which "infinite-past" parses to).
  if (ms < -62'135'596'800'000 || ms >= 253'402'300'800'000) {
    return absl::FormatTime(fraction == Fraction::kMillis ? "%Y-%m-%dT%H:%M:%E3SZ"
                                                          : "%Y-%m-%dT%H:%M:%E*SZ",
                            FromMs(ms), absl::UTCTimeZone());
  }
  const int64_t days = (ms >= 0 ? ms : ms - 86'399'999) / 86'400'000;
  const int64_t ms_of_day = ms - days * 86'400'000;
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[32];
  char* p = buf;
  auto digits = [&p](int64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += n;
  };
  digits(year, 4);
  *p++ = '-';
  digits(month, 2);
  *p++ = '-';
  digits(day, 2);
  *p++ = 'T';
  digits(ms_of_day / 3'600'000, 2);
  *p++ = ':';
  digits(ms_of_day / 60'000 % 60, 2);
  *p++ = ':';
  digits(ms_of_day / 1000 % 60, 2);
  int64_t millis = ms_of_day % 1000;
  if (fraction == Fraction::kMillis || millis != 0) {
    *p++ = '.';
    int n = 3;
    if (fraction == Fraction::kTrimmed) {
      for (; millis % 10 == 0; millis /= 10) --n;
    }
    digits(millis, n);
  }
  *p++ = 'Z';
  return std::string(buf, p);
}

}  // namespace

std::string FormatGoTime(TimestampMs ms) {
  if (ms == 0) return std::string(kGoZeroTime);
  return FormatUtc(ms, Fraction::kTrimmed);
}

std::string FormatApiTime(TimestampMs ms) {
  if (ms == 0) return "0001-01-01T00:00:00.000Z";
  return FormatUtc(ms, Fraction::kMillis);
}

absl::StatusOr<TimestampMs> ParseRfc3339(std::string_view text) {
  if (text == kGoZeroTime) return 0;
  absl::Time t;
  std::string err;
  // absl also takes "infinite-past" and "infinite-future", which are no RFC3339 time (Go
  // and so Alertmanager refuse them).
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err) || t == absl::InfinitePast() ||
      t == absl::InfiniteFuture()) {
    if (err.empty()) err = "not a time";
    return absl::InvalidArgumentError(StrCat("invalid RFC3339 time \"", text, "\": ", err));
  }
  // Go's zero time in any spelling ("0001-01-01T00:00:00.000Z" from amtool alert add).
  static const absl::Time kGoZero =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  if (t == kGoZero) return 0;
  return ToMs(t);
}

}  // namespace vigil::notifier
