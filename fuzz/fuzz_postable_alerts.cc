// Any body POSTed to the notifier's /api/v2/alerts: parsed into alerts or rejected with
// an InvalidArgument message, never a crash or a hang; what is accepted is well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/notifier/postable_alerts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr vigil::TimestampMs kNow = 1'700'000'000'000;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto alerts = vigil::notifier::ParsePostableAlerts(body, kNow);
  if (!alerts.ok()) {
    if (!absl::IsInvalidArgument(alerts.status())) std::abort();
    return 0;
  }
  for (const vigil::notifier::Alert& a : *alerts) {
    if (a.labels.empty() || a.fingerprint != a.labels.Fingerprint()) std::abort();
    if (a.ends_at_ms != 0 && a.ends_at_ms < a.starts_at_ms) std::abort();
    for (const vigil::labels::Label& l : a.labels) {
      if (!vigil::labels::IsValidLabelName(l.name)) std::abort();
    }
  }
  return 0;
}
