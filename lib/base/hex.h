#pragma once

#include <cstdint>
#include <string>

namespace vigil {

// Appends `v` as 16 lowercase hex digits, printf's "%016x": how fingerprints are written
// (Alertmanager's and Prometheus's form), in payloads, the store and the APIs.
inline void AppendHex16(uint64_t v, std::string* out) {
  char digits[16];
  for (int i = 15; i >= 0; --i, v >>= 4) digits[i] = "0123456789abcdef"[v & 0xf];
  out->append(digits, sizeof(digits));
}

inline std::string Hex16(uint64_t v) {
  std::string out;
  AppendHex16(v, &out);
  return out;
}

}  // namespace vigil
