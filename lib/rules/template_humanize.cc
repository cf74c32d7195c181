#include "lib/rules/template_humanize.h"

#include <cmath>
#include <cstdint>

#include "lib/rules/template_value.h"

namespace vigil::rules::tmpl {
namespace {

// fmt.Sprintf("%.4g<suffix>", v).
std::string G4(double v, const char* suffix = "") {
  return GoSprintf("%.4g", {Value::Float(v)}) + suffix;
}

}  // namespace

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v, prefix);
  }
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v, prefix);
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  const char* prefix = "";
  for (const char* p : kPrefixes) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return G4(v, prefix);
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v, "s");
  if (std::fabs(v) >= 1) {
    std::string sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    int64_t d = GoInt64(v);
    int64_t secs = d % 60, mins = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
    auto i = [](int64_t n) { return std::to_string(n); };
    if (days != 0) return sign + i(days) + "d " + i(hours) + "h " + i(mins) + "m " + i(secs) + "s";
    if (hours != 0) return sign + i(hours) + "h " + i(mins) + "m " + i(secs) + "s";
    if (mins != 0) return sign + i(mins) + "m " + i(secs) + "s";
    return sign + G4(v, "s");
  }
  static const char* kPrefixes[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  const char* prefix = "";
  for (const char* p : kPrefixes) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v, (std::string(prefix) + "s").c_str());
}

}  // namespace vigil::rules::tmpl
