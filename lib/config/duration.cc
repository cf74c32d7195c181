#include "lib/config/duration.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "lib/base/format.h"

namespace vigil::config {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};

// Longest names first so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                           {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                           {"m", 60LL * 1000},              {"s", 1000},
                           {"ms", 1}};

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(std::string_view s) {
  auto bad = [&] {
    return absl::InvalidArgumentError(StrCat("not a valid duration string: \"", s, "\""));
  };
  if (s.empty()) return bad();
  if (s == "0") return absl::ZeroDuration();
  int64_t total = 0;
  int last_unit = -1;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    if (i == start || i - start > 18) return bad();
    int64_t n = 0;
    for (size_t k = start; k < i; ++k) n = n * 10 + (s[k] - '0');
    size_t unit_start = i;
    while (i < s.size() && absl::ascii_isalpha(s[i])) ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    int idx = -1;
    for (int u = 0; u < 7; ++u) {
      if (kUnits[u].name == unit) idx = u;
    }
    if (idx < 0 || idx <= last_unit) return bad();
    last_unit = idx;
    if (n > INT64_MAX / kUnits[idx].ms || total > INT64_MAX - n * kUnits[idx].ms) {
      return absl::InvalidArgumentError(StrCat("duration out of range: \"", s, "\""));
    }
    total += n * kUnits[idx].ms;
  }
  return absl::Milliseconds(total);
}

std::string FormatPromDuration(absl::Duration d) {
  int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += StrCat(ms / u.ms, u.name);
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace vigil::config
