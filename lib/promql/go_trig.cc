// Go 1.19's trigonometric functions (src/math: trig_reduce.go, sin.go, tan.go, atan.go,
// asin.go, atan2.go), ported to C++ operation for operation; see go_math.h.

#include <cstdint>

#include "lib/promql/go_math.h"
#include "lib/promql/go_math_bits.h"

namespace vigil::promql::gomath {

// --- trig_reduce.go, sin.go, tan.go -------------------------------------------------------

namespace {

constexpr double kReduceThreshold = 1 << 29;

// 4/pi in binary: 4/pi = Sum mPi4[i]*2^(-64*i).
constexpr uint64_t kMPi4[] = {
    0x0000000000000001, 0x45f306dc9c882a53, 0xf84eafa3ea69bb81, 0xb6c52b3278872083,
    0xfca2c757bd778ac3, 0x6e48dc74849ba5c0, 0x0c925dd413a32439, 0xfc3bd63962534e7d,
    0xd1046bea5d768909, 0xd338e04d68befc82, 0x7323ac7306a673e9, 0x3908bf177bf25076,
    0x3ff12fffbc0b301f, 0xde5e2316b414da3e, 0xda6cfd9e4f96136e, 0x9e8c7ecd3cbfd45a,
    0xea4f758fd7cbe2f6, 0x7a0e73ef14a525d4, 0xd7f6bf623f1aba10, 0xac06608df8f6d757,
};

// Payne-Hanek range reduction by Pi/4 for x > 0: the integer part mod 8 (j) and the
// fractional part (z) of x / (Pi/4).
std::pair<uint64_t, double> TrigReduce(double x) {
  if (x < kPiOver4) return {0, x};
  uint64_t ix = Float64bits(x);
  int64_t exp = static_cast<int64_t>((ix >> kShift) & kMask) - kBias - kShift;
  ix &= ~(kMask << kShift);
  ix |= uint64_t{1} << kShift;
  uint64_t digit = static_cast<uint64_t>(exp + 61) / 64;
  uint64_t bitshift = static_cast<uint64_t>(exp + 61) % 64;
  uint64_t z0 = Shl(kMPi4[digit], bitshift) | Shr(kMPi4[digit + 1], 64 - bitshift);
  uint64_t z1 = Shl(kMPi4[digit + 1], bitshift) | Shr(kMPi4[digit + 2], 64 - bitshift);
  uint64_t z2 = Shl(kMPi4[digit + 2], bitshift) | Shr(kMPi4[digit + 3], 64 - bitshift);
  // Multiply mantissa by the digits and extract the upper two digits (hi, lo).
  using u128 = unsigned __int128;
  uint64_t z2hi = static_cast<uint64_t>((static_cast<u128>(z2) * ix) >> 64);
  u128 z1p = static_cast<u128>(z1) * ix;
  uint64_t z1hi = static_cast<uint64_t>(z1p >> 64), z1lo = static_cast<uint64_t>(z1p);
  uint64_t z0lo = z0 * ix;
  uint64_t lo = z1lo + z2hi;
  uint64_t carry = lo < z1lo ? 1 : 0;
  uint64_t hi = z0lo + z1hi + carry;
  // The top 3 bits are j.
  uint64_t j = hi >> 61;
  // Extract the fraction and find its magnitude.
  hi = hi << 3 | lo >> 61;
  uint64_t lz = hi == 0 ? 64 : static_cast<uint64_t>(__builtin_clzll(hi));
  uint64_t e = static_cast<uint64_t>(kBias) - (lz + 1);
  // Clear implicit mantissa bit and shift into place.
  hi = Shl(hi, lz + 1) | Shr(lo, 64 - (lz + 1));
  hi >>= 64 - kShift;
  // Include the exponent and convert to a float.
  hi |= e << kShift;
  double z = Float64frombits(hi);
  // Map zeros to origin.
  if ((j & 1) == 1) {
    j++;
    j &= 7;
    z--;
  }
  // Multiply the fractional part by pi/4.
  return {j, z * kPiOver4};
}

constexpr double kPI4A = 7.85398125648498535156e-1;  // Pi/4 split into three parts
constexpr double kPI4B = 3.77489470793079817668e-8;
constexpr double kPI4C = 2.69515142907905952645e-15;

constexpr double kSin[] = {
    1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
    -1.98412698295895385996e-4, 8.33333333332211858878e-3,  -1.66666666666666307295e-1,
};
constexpr double kCos[] = {
    -1.13585365213876817300e-11, 2.08757008419747316778e-9,  -2.75573141792967388112e-7,
    2.48015872888517045348e-5,   -1.38888888888730564116e-3, 4.16666666666665929218e-2,
};

// The octant j and the reduced argument z of x >= 0 (sin.go, tan.go).
std::pair<uint64_t, double> Reduce(double x) {
  if (x >= kReduceThreshold) return TrigReduce(x);
  uint64_t j = static_cast<uint64_t>(x * k4OverPi);  // integer part of x/(Pi/4)
  double y = static_cast<double>(j);
  // map zeros to origin
  if ((j & 1) == 1) {
    j++;
    y++;
  }
  j &= 7;  // octant modulo 2Pi radians (360 degrees)
  return {j, ((x - y * kPI4A) - y * kPI4B) - y * kPI4C};
}

double SinPoly(double z, double zz) {
  return z +
         z * zz *
             ((((((kSin[0] * zz) + kSin[1]) * zz + kSin[2]) * zz + kSin[3]) * zz + kSin[4]) * zz +
              kSin[5]);
}

double CosPoly(double zz) {
  return 1.0 - 0.5 * zz +
         zz * zz *
             ((((((kCos[0] * zz) + kCos[1]) * zz + kCos[2]) * zz + kCos[3]) * zz + kCos[4]) * zz +
              kCos[5]);
}

}  // namespace

double Cos(double x) {
  if (IsNaN(x) || IsInf(x, 0)) return NaN();
  // make argument positive
  bool sign = false;
  x = Abs(x);
  auto [j, z] = Reduce(x);
  if (j > 3) {
    j -= 4;
    sign = !sign;
  }
  if (j > 1) sign = !sign;
  double zz = z * z;
  double y = (j == 1 || j == 2) ? SinPoly(z, zz) : CosPoly(zz);
  return sign ? -y : y;
}

double Sin(double x) {
  if (x == 0 || IsNaN(x)) return x;  // return ±0 || NaN()
  if (IsInf(x, 0)) return NaN();
  // make argument positive but save the sign
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  auto [j, z] = Reduce(x);
  // reflect in x axis
  if (j > 3) {
    sign = !sign;
    j -= 4;
  }
  double zz = z * z;
  double y = (j == 1 || j == 2) ? CosPoly(zz) : SinPoly(z, zz);
  return sign ? -y : y;
}

double Tan(double x) {
  constexpr double kTanP[] = {-1.30936939181383777646e4, 1.15351664838587416140e6,
                              -1.79565251976484877988e7};
  constexpr double kTanQ[] = {1.00000000000000000000e0, 1.36812963470692954678e4,
                              -1.32089234440210967447e6, 2.50083801823357915839e7,
                              -5.38695755929454629881e7};
  if (x == 0 || IsNaN(x)) return x;  // return ±0 || NaN()
  if (IsInf(x, 0)) return NaN();
  // make argument positive but save the sign
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  // tan.go leaves j unmasked, where sin.go takes it modulo 8; only j&2 is read.
  auto [j, z] = Reduce(x);
  double zz = z * z;
  double y;
  if (zz > 1e-14) {
    y = z + z * (zz * (((kTanP[0] * zz) + kTanP[1]) * zz + kTanP[2]) /
                 ((((zz + kTanQ[1]) * zz + kTanQ[2]) * zz + kTanQ[3]) * zz + kTanQ[4]));
  } else {
    y = z;
  }
  if ((j & 2) == 2) y = -1 / y;
  return sign ? -y : y;
}

// --- atan.go, asin.go, atan2.go -----------------------------------------------------------

namespace {

// xatan evaluates a series valid in the range [0, 0.66].
double Xatan(double x) {
  constexpr double P0 = -8.750608600031904122785e-01;
  constexpr double P1 = -1.615753718733365076637e+01;
  constexpr double P2 = -7.500855792314704667340e+01;
  constexpr double P3 = -1.228866684490136173410e+02;
  constexpr double P4 = -6.485021904942025371773e+01;
  constexpr double Q0 = +2.485846490142306297962e+01;
  constexpr double Q1 = +1.650270098316988542046e+02;
  constexpr double Q2 = +4.328810604912902668951e+02;
  constexpr double Q3 = +4.853903996359136964868e+02;
  constexpr double Q4 = +1.945506571482613964425e+02;
  double z = x * x;
  z = z * ((((P0 * z + P1) * z + P2) * z + P3) * z + P4) /
      (((((z + Q0) * z + Q1) * z + Q2) * z + Q3) * z + Q4);
  z = x * z + x;
  return z;
}

// satan reduces its argument (known to be positive) to the range [0, 0.66] and calls
// xatan.
double Satan(double x) {
  constexpr double kMorebits = 6.123233995736765886130e-17;  // pi/2 = PIO2 + Morebits
  constexpr double kTan3pio8 = 2.41421356237309504880;       // tan(3*pi/8)
  if (x <= 0.66) return Xatan(x);
  if (x > kTan3pio8) return kPiOver2 - Xatan(1 / x) + kMorebits;
  return kPiOver4 + Xatan((x - 1) / (x + 1)) + 0.5 * kMorebits;
}

}  // namespace

double Atan(double x) {
  if (x == 0) return x;
  if (x > 0) return Satan(x);
  return -Satan(-x);
}

double Asin(double x) {
  if (x == 0) return x;  // special case
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x > 1) return NaN();  // special case
  double temp = Sqrt(1 - x * x);
  if (x > 0.7) {
    temp = kPiOver2 - Satan(temp / x);
  } else {
    temp = Satan(x / temp);
  }
  return sign ? -temp : temp;
}

double Acos(double x) { return kPiOver2 - Asin(x); }

double Atan2(double y, double x) {
  // special cases
  if (IsNaN(y) || IsNaN(x)) return NaN();
  if (y == 0) {
    if (x >= 0 && !Signbit(x)) return Copysign(0, y);
    return Copysign(kPi, y);
  }
  if (x == 0) return Copysign(kPiOver2, y);
  if (IsInf(x, 0)) {
    if (IsInf(x, 1)) return IsInf(y, 0) ? Copysign(kPiOver4, y) : Copysign(0, y);
    return IsInf(y, 0) ? Copysign(k3PiOver4, y) : Copysign(kPi, y);
  }
  if (IsInf(y, 0)) return Copysign(kPiOver2, y);
  // Call atan and determine the quadrant.
  double q = Atan(y / x);
  if (x < 0) {
    if (q <= 0) return q + kPi;
    return q - kPi;
  }
  return q;
}

}  // namespace vigil::promql::gomath
