#pragma once

// Go's bits.go, unsafe.go, const.go and modf.go for go_math.cc and go_trig.cc (internal to
// them). Go's untyped constant expressions (4/Pi, 1/Ln10, 3*Pi/4, ...) are exact and
// rounded once to float64, so they are written here as the rounded values, in hex.

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace vigil::promql::gomath {

constexpr uint64_t kMask = 0x7FF;
constexpr int kShift = 64 - 11 - 1;
constexpr int64_t kBias = 1023;
constexpr uint64_t kSignBit = uint64_t{1} << 63;

constexpr double kPi = 0x1.921fb54442d18p+1;           // Pi
constexpr double kPiOver2 = 0x1.921fb54442d18p+0;      // Pi/2
constexpr double kPiOver4 = 0x1.921fb54442d18p-1;      // Pi/4
constexpr double k3PiOver4 = 0x1.2d97c7f3321d2p+1;     // 3*Pi/4
constexpr double k4OverPi = 0x1.45f306dc9c883p+0;      // 4/Pi
constexpr double kOneOverLn2 = 0x1.71547652b82fep+0;   // 1/Ln2
constexpr double kOneOverLn10 = 0x1.bcb7b1526e50ep-2;  // 1/Ln10

inline uint64_t Float64bits(double f) {
  uint64_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline double Float64frombits(uint64_t u) {
  double f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline double NaN() { return Float64frombits(0x7FF8000000000001); }
inline double Inf(int sign) {
  return Float64frombits(sign >= 0 ? 0x7FF0000000000000 : 0xFFF0000000000000);
}
inline bool IsNaN(double f) { return f != f; }
inline bool IsInf(double f, int sign) {
  return (sign >= 0 && f > DBL_MAX) || (sign <= 0 && f < -DBL_MAX);
}
inline double Abs(double x) { return Float64frombits(Float64bits(x) & ~kSignBit); }
inline bool Signbit(double x) { return (Float64bits(x) & kSignBit) != 0; }
inline double Copysign(double f, double sign) {
  return Float64frombits((Float64bits(f) & ~kSignBit) | (Float64bits(sign) & kSignBit));
}
inline double Sqrt(double x) { return std::sqrt(x); }    // SQRTSD in both
inline double Trunc(double x) { return std::trunc(x); }  // exact in both

// Go's shifts: a count of 64 or more gives 0 (C++ leaves it undefined).
inline uint64_t Shl(uint64_t x, uint64_t n) { return n >= 64 ? 0 : x << n; }
inline uint64_t Shr(uint64_t x, uint64_t n) { return n >= 64 ? 0 : x >> n; }

// bits.go
inline std::pair<double, int64_t> Normalize(double x) {
  constexpr double kSmallestNormal = 2.2250738585072014e-308;  // 2**-1022
  if (Abs(x) < kSmallestNormal) return {x * (uint64_t{1} << 52), -52};
  return {x, 0};
}

// modf.go
inline std::pair<double, double> Modf(double f) {
  double i = Trunc(f);
  return {i, Copysign(f - i, f)};
}

}  // namespace vigil::promql::gomath
