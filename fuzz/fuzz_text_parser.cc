// Any bytes a target serves: the text-format parser must return a value or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/expfmt/text_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  vigil::expfmt::TextParser parser(input);
  for (int i = 0; i < 100000; ++i) {
    auto e = parser.Next();
    if (!e.ok() || *e == vigil::expfmt::Entry::kEof) break;
    if (*e == vigil::expfmt::Entry::kSeries) (void)parser.Labels();
  }
  return 0;
}
