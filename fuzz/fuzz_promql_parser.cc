// Any expression text: the PromQL parser must return a tree or an error with a position.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/promql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)vigil::promql::ParseExpr(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
