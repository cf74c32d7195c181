// Any rule file text: parsing returns groups or a file:line:col error, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/rules/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)vigil::rules::ParseRuleFile("fuzz.yml", std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
