// Any bytes a target serves as application/openmetrics-text: the OpenMetrics parser, with
// and without the family checks, must return a value or an error, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/expfmt/openmetrics_parser.h"

namespace {

void Drain(vigil::expfmt::OpenMetricsParser& parser) {
  for (int i = 0; i < 100000; ++i) {
    auto e = parser.Next();
    if (!e.ok() || *e == vigil::expfmt::Entry::kEof) break;
    if (*e == vigil::expfmt::Entry::kSeries) {
      (void)parser.Labels();
      (void)parser.exemplar();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  vigil::expfmt::OpenMetricsParser lax(input);
  Drain(lax);
  vigil::expfmt::OpenMetricsParser strict(input, {.check_families = true});
  Drain(strict);
  return 0;
}
