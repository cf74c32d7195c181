// Any alert template text: parsing and execution (with a stand-in query function) return
// the expansion or Prometheus's "<error expanding template: ...>", never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/rules/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::labels::Labels kLabels({{"__name__", "up"}, {"job", "api"}});
  static const vigil::labels::Labels kExternal({{"cluster", "eu"}});
  std::string text(reinterpret_cast<const char*>(data), size);
  static const vigil::rules::TemplateQueryFunc kQuery =
      [](std::string_view q) -> absl::StatusOr<vigil::promql::Vector> {
    if (q.empty()) return absl::InvalidArgumentError("empty query");
    return vigil::promql::Vector{{kLabels, 2.5}, {kExternal, 0}};
  };
  vigil::rules::TemplateData d{&kLabels, 1.5, &kExternal, "http://example.com/prom", &kQuery};
  (void)vigil::rules::ExpandTemplate("__alert_fuzz", text, d);
  (void)vigil::rules::CheckTemplate("__alert_fuzz", text);
  return 0;
}
