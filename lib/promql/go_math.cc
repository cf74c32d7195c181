// Go 1.19's math package (src/math) but the trigonometric functions (go_trig.cc), ported
// to C++ operation for operation; see go_math.h.

#include "lib/promql/go_math.h"

#include <cmath>
#include <cstdint>

#include "lib/promql/go_math_bits.h"

namespace vigil::promql::gomath {

namespace {

// --- exp_amd64.s --------------------------------------------------------------------

constexpr double kExpLog2e = 1.4426950408889634073599246810018920;  // 1/LN2
constexpr double kExpLn2U = 0.69314718055966295651160180568695068359375;
constexpr double kExpLn2L = 0.28235290563031577122588448175013436025525412068e-12;
constexpr double kExpOverflow = 7.09782712893384e+02;
constexpr double kExpC[] = {
    0.5,                       // exprodata+0
    1.0,                       // +8
    2.0,                       // +16
    1.6666666666666666667e-1,  // +24
    4.1666666666666666667e-2,  // +32
    8.3333333333333333333e-3,  // +40
    1.3888888888888888889e-3,  // +48
    1.9841269841269841270e-4,  // +56
    2.4801587301587301587e-5,  // +64
};

// CVTSD2SL: round to nearest even; out of range or NaN gives the "integer indefinite".
int32_t Cvtsd2sl(double v) {
  double r = std::nearbyint(v);
  if (!(r >= -2147483648.0 && r <= 2147483647.0)) return INT32_MIN;
  return static_cast<int32_t>(r);
}

// The shared head and tail of both paths. `reduce_and_evaluate` gets x and float64(k)
// and returns the polynomial's value for the reduced argument.
template <typename Body>
double ExpAmd64(double x, Body reduce_and_evaluate) {
  const uint64_t bx = Float64bits(x);
  if ((bx & ~kSignBit) >= 0x7FF0000000000000) {  // notFinite
    if (bx == 0xFFF0000000000000) return 0;      // -Inf
    return x;                                    // NaN or +Inf
  }
  if (x > kExpOverflow) return Inf(1);
  int64_t k = Cvtsd2sl(kExpLog2e * x);
  double x0 = reduce_and_evaluate(x, static_cast<double>(k));
  // ldexp: return fr * 2**exponent
  k += 0x3FF;
  if (k <= 0) {  // denormal
    if (k < -52) return 0;
    k += 0x3FE;
    x0 *= Float64frombits(static_cast<uint64_t>(k) << 52);
    k = 1;
  } else if (k >= 0x7FF) {
    return Inf(1);
  }
  return x0 * Float64frombits(static_cast<uint64_t>(k) << 52);
}

}  // namespace

namespace internal {

double ExpSse2(double x) {
  return ExpAmd64(x, [](double x0, double k) {
    x0 = x0 - kExpLn2U * k;
    x0 = x0 - kExpLn2L * k;
    x0 *= 0.0625;
    double x1 = kExpC[8];
    for (int c : {7, 6, 5, 4, 3, 0, 1}) {
      x1 *= x0;        // MULSD
      x1 += kExpC[c];  // ADDSD
    }
    x0 *= x1;
    for (int i = 0; i < 4; i++) {
      x1 = kExpC[2] + x0;
      x0 *= x1;
    }
    return x0 + kExpC[1];
  });
}

double ExpFma(double x) {
  return ExpAmd64(x, [](double x0, double k) {
    x0 = std::fma(-k, kExpLn2U, x0);  // VFNMADD231SD
    x0 = std::fma(-k, kExpLn2L, x0);
    x0 *= 0.0625;
    double x1 = kExpC[8];
    for (int c : {7, 6, 5, 4, 3, 0, 1}) x1 = std::fma(x1, x0, kExpC[c]);  // VFMADD213SD
    x0 *= x1;
    for (int i = 0; i < 3; i++) {
      x1 = x0 + kExpC[2];
      x0 *= x1;
    }
    x1 = x0 + kExpC[2];
    return std::fma(x1, x0, kExpC[1]);
  });
}

// exp_amd64.go: useFMA = cpu.X86.HasAVX && cpu.X86.HasFMA (GCC's checks, like Go's,
// include the operating system's support for the AVX registers).
bool ExpUsesFma() {
#if defined(__x86_64__)
  static const bool use_fma = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
  return use_fma;
#else
  return false;
#endif
}

}  // namespace internal

double Exp(double x) { return internal::ExpUsesFma() ? internal::ExpFma(x) : internal::ExpSse2(x); }

// --- log_amd64.s ----------------------------------------------------------------------

namespace {
// log_amd64.s's and log1p.go's constants (FreeBSD's e_log.c and s_log1p.c share them).
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 3fe62e42fee00000
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // 3dea39ef35793c76
constexpr double kL1 = 6.666666666666735130e-01;       // 3FE5555555555593
constexpr double kL2 = 3.999999999940941908e-01;       // 3FD999999997FA04
constexpr double kL3 = 2.857142874366239149e-01;       // 3FD2492494229359
constexpr double kL4 = 2.222219843214978396e-01;       // 3FCC71C51D8E78AF
constexpr double kL5 = 1.818357216161805012e-01;       // 3FC7466496CB03DE
constexpr double kL6 = 1.531383769920937332e-01;       // 3FC39A09D078C69F
constexpr double kL7 = 1.479819860511658591e-01;       // 3FC2F112DF3E5244
}  // namespace

double Log(double x) {
  constexpr double kHSqrt2 = 7.07106781186547524401e-01;  // sqrt(2)/2
  const uint64_t bx = Float64bits(x);
  if ((bx & ~kSignBit) == 0) return Inf(-1);  // isZero
  if ((bx & kSignBit) != 0) return NaN();     // isNegative
  if (bx >= 0x7FF0000000000000) return x;     // isInfOrNaN
  // f1, ki := math.Frexp(x); k := float64(ki), but from the bits alone: a subnormal x is
  // taken as if it were normal (the assembly does not normalize it).
  double f1 = Float64frombits((bx & 0x000FFFFFFFFFFFFF) | Float64bits(0.5));
  double k = static_cast<double>(static_cast<int32_t>((bx >> 52) & 0x7FF) - 0x3FE);
  // CMPSD X2, X0, 5 (not-less-than): !(HSqrt2 < f1), i.e. f1 <= Sqrt2/2 (log.go has <).
  if (!(kHSqrt2 < f1)) {
    k -= 1;
    f1 *= 2;
  }
  double f = f1 - 1;
  double s = f / (2 + f);
  double s2 = s * s;
  double s4 = s2 * s2;
  double t1 = s2 * (kL1 + s4 * (kL3 + s4 * (kL5 + s4 * kL7)));
  double t2 = s4 * (kL2 + s4 * (kL4 + s4 * kL6));
  double r = t1 + t2;
  double hfsq = 0.5 * f * f;
  return k * kLn2Hi - ((hfsq - (s * (hfsq + r) + k * kLn2Lo)) - f);
}

// --- log10.go -------------------------------------------------------------------------

double Log10(double x) { return Log(x) * kOneOverLn10; }

double Log2(double x) {
  auto [frac, exp] = Frexp(x);
  // Make sure exact powers of two give an exact answer.
  if (frac == 0.5) return static_cast<double>(exp - 1);
  return Log(frac) * kOneOverLn2 + static_cast<double>(exp);
}

// --- frexp.go, ldexp.go -----------------------------------------------------------------

std::pair<double, int64_t> Frexp(double f) {
  if (f == 0) return {f, 0};  // correctly return -0
  if (IsInf(f, 0) || IsNaN(f)) return {f, 0};
  auto [g, exp] = Normalize(f);
  uint64_t x = Float64bits(g);
  exp += static_cast<int64_t>((x >> kShift) & kMask) - kBias + 1;
  x &= ~(kMask << kShift);
  x |= static_cast<uint64_t>(-1 + kBias) << kShift;
  return {Float64frombits(x), exp};
}

double Ldexp(double frac, int64_t exp) {
  if (frac == 0) return frac;  // correctly return -0
  if (IsInf(frac, 0) || IsNaN(frac)) return frac;
  auto [f, e] = Normalize(frac);
  exp += e;
  uint64_t x = Float64bits(f);
  exp += static_cast<int64_t>((x >> kShift) & kMask) - kBias;
  if (exp < -1075) return Copysign(0, f);           // underflow
  if (exp > 1023) return f < 0 ? Inf(-1) : Inf(1);  // overflow
  double m = 1;
  if (exp < -1022) {  // denormal
    exp += 53;
    m = 0x1p-53;
  }
  x &= ~(kMask << kShift);
  x |= static_cast<uint64_t>(exp + kBias) << kShift;
  return m * Float64frombits(x);
}

// --- log1p.go ---------------------------------------------------------------------------

double Log1p(double x) {
  constexpr double kSqrt2M1 = 4.142135623730950488017e-01;
  constexpr double kSqrt2HalfM1 = -2.928932188134524755992e-01;
  constexpr double kSmall = 0x1p-29;
  constexpr double kTiny = 0x1p-54;
  constexpr double kTwo53 = 0x1p53;

  if (x < -1 || IsNaN(x)) return NaN();  // includes -Inf
  if (x == -1) return Inf(-1);
  if (IsInf(x, 1)) return Inf(1);

  double absx = Abs(x);
  double f = 0;
  uint64_t iu = 0;
  int64_t k = 1;
  if (absx < kSqrt2M1) {           //  |x| < Sqrt(2)-1
    if (absx < kSmall) {           // |x| < 2**-29
      if (absx < kTiny) return x;  // |x| < 2**-54
      return x - x * x * 0.5;
    }
    if (x > kSqrt2HalfM1) {  // Sqrt(2)/2-1 < x < Sqrt(2)-1
      k = 0;
      f = x;
      iu = 1;
    }
  }
  double c = 0;
  if (k != 0) {
    double u;
    if (absx < kTwo53) {
      u = 1.0 + x;
      iu = Float64bits(u);
      k = static_cast<int64_t>((iu >> 52) - 1023);
      // correction term
      if (k > 0) {
        c = 1.0 - (u - x);
      } else {
        c = x - (u - 1.0);
      }
      c /= u;
    } else {
      u = x;
      iu = Float64bits(u);
      k = static_cast<int64_t>((iu >> 52) - 1023);
      c = 0;
    }
    iu &= 0x000fffffffffffff;
    if (iu < 0x0006a09e667f3bcd) {                   // mantissa of Sqrt(2)
      u = Float64frombits(iu | 0x3ff0000000000000);  // normalize u
    } else {
      k++;
      u = Float64frombits(iu | 0x3fe0000000000000);  // normalize u/2
      iu = (0x0010000000000000 - iu) >> 2;
    }
    f = u - 1.0;  // Sqrt(2)/2 < u < Sqrt(2)
  }
  double hfsq = 0.5 * f * f;
  const double fk = static_cast<double>(k);
  if (iu == 0) {  // |f| < 2**-20
    if (f == 0) {
      if (k == 0) return 0;
      c += fk * kLn2Lo;
      return fk * kLn2Hi + c;
    }
    double r = hfsq * (1.0 - 0.66666666666666666 * f);  // avoid division
    if (k == 0) return f - r;
    return fk * kLn2Hi - ((r - (fk * kLn2Lo + c)) - f);
  }
  double s = f / (2.0 + f);
  double z = s * s;
  double r = z * (kL1 + z * (kL2 + z * (kL3 + z * (kL4 + z * (kL5 + z * (kL6 + z * kL7))))));
  if (k == 0) return f - (hfsq - s * (hfsq + r));
  return fk * kLn2Hi - ((hfsq - (s * (hfsq + r) + (fk * kLn2Lo + c))) - f);
}

// --- pow.go -------------------------------------------------------------------------------

namespace {
bool IsOddInt(double x) {
  auto [xi, xf] = Modf(x);
  // int64(xi) is CVTTSD2SQ on amd64: 1<<63 and beyond give -1<<63, even. Every float64
  // from 1<<53 on is even anyway.
  if (Abs(xi) >= 0x1p63) return false;
  return xf == 0 && (static_cast<int64_t>(xi) & 1) == 1;
}
}  // namespace

double Pow(double x, double y) {
  if (y == 0 || x == 1) return 1;
  if (y == 1) return x;
  if (IsNaN(x) || IsNaN(y)) return NaN();
  if (x == 0) {
    if (y < 0) return IsOddInt(y) ? Copysign(Inf(1), x) : Inf(1);
    if (y > 0) return IsOddInt(y) ? x : 0;
  } else if (IsInf(y, 0)) {
    if (x == -1) return 1;
    if ((Abs(x) < 1) == IsInf(y, 1)) return 0;
    return Inf(1);
  } else if (IsInf(x, 0)) {
    if (IsInf(x, -1)) return Pow(1 / x, -y);  // Pow(-0, -y)
    if (y < 0) return 0;
    if (y > 0) return Inf(1);
  } else if (y == 0.5) {
    return Sqrt(x);
  } else if (y == -0.5) {
    return 1 / Sqrt(x);
  }

  auto [yi, yf] = Modf(Abs(y));
  if (yf != 0 && x < 0) return NaN();
  if (yi >= 0x1p63) {
    // yi is a large even int that will lead to overflow (or underflow to 0)
    // for all x except -1 (x == 1 was handled earlier)
    if (x == -1) return 1;
    if ((Abs(x) < 1) == (y > 0)) return 0;
    return Inf(1);
  }

  // ans = a1 * 2**ae (= 1 for now).
  double a1 = 1.0;
  int64_t ae = 0;

  // ans *= x**yf
  if (yf != 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Exp(yf * Log(x));
  }

  // ans *= x**yi by multiplying in successive squarings of x according to bits of yi;
  // accumulate powers of two into exp.
  auto [x1, xe] = Frexp(x);
  for (int64_t i = static_cast<int64_t>(yi); i != 0; i >>= 1) {
    if (xe < -(1 << 12) || (1 << 12) < xe) {
      // catch xe before it overflows the left shift below
      ae += xe;
      break;
    }
    if ((i & 1) == 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < .5) {
      x1 += x1;
      xe--;
    }
  }

  // ans = a1*2**ae; if y < 0 { ans = 1 / ans } but in the opposite order
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return Ldexp(a1, ae);
}

// --- mod.go -------------------------------------------------------------------------------

double Mod(double x, double y) {
  if (y == 0 || IsInf(x, 0) || IsNaN(x) || IsNaN(y)) return NaN();
  y = Abs(y);
  auto [yfr, yexp] = Frexp(y);
  double r = x;
  if (x < 0) r = -x;
  while (r >= y) {
    auto [rfr, rexp] = Frexp(r);
    if (rfr < yfr) rexp = rexp - 1;
    r = r - Ldexp(y, rexp - yexp);
  }
  if (x < 0) r = -r;
  return r;
}

// --- sinh.go, tanh.go, asinh.go, acosh.go, atanh.go ---------------------------------------

double Sinh(double x) {
  // The coefficients are #2029 from Hart & Cheney. (20.36D)
  constexpr double P0 = -0.6307673640497716991184787251e+6;
  constexpr double P1 = -0.8991272022039509355398013511e+5;
  constexpr double P2 = -0.2894211355989563807284660366e+4;
  constexpr double P3 = -0.2630563213397497062819489e+2;
  constexpr double Q0 = -0.6307673640497716991212077277e+6;
  constexpr double Q1 = 0.1521517378790019070696485176e+5;
  constexpr double Q2 = -0.173678953558233699533450911e+3;
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  double temp;
  if (x > 21) {
    temp = Exp(x) * 0.5;
  } else if (x > 0.5) {
    double ex = Exp(x);
    temp = (ex - 1 / ex) * 0.5;
  } else {
    double sq = x * x;
    temp = (((P3 * sq + P2) * sq + P1) * sq + P0) * x;
    temp = temp / (((sq + Q2) * sq + Q1) * sq + Q0);
  }
  return sign ? -temp : temp;
}

double Cosh(double x) {
  x = Abs(x);
  if (x > 21) return Exp(x) * 0.5;
  double ex = Exp(x);
  return (ex + 1 / ex) * 0.5;
}

double Tanh(double x) {
  constexpr double kP[] = {-9.64399179425052238628E-1, -9.92877231001918586564E1,
                           -1.61468768441708447952E3};
  constexpr double kQ[] = {1.12811678491632931402E2, 2.23548839060100448583E3,
                           4.84406305325125486048E3};
  constexpr double kMaxLog = 8.8029691931113054295988e+01;  // log(2**127)
  double z = Abs(x);
  if (z > 0.5 * kMaxLog) return x < 0 ? -1 : 1;
  if (z >= 0.625) {
    double s = Exp(2 * z);
    z = 1 - 2 / (s + 1);
    if (x < 0) z = -z;
    return z;
  }
  if (x == 0) return x;
  double s = x * x;
  return x + x * s * ((kP[0] * s + kP[1]) * s + kP[2]) / (((s + kQ[0]) * s + kQ[1]) * s + kQ[2]);
}

double Asinh(double x) {
  constexpr double kLn2 = 6.93147180559945286227e-01;
  constexpr double kNearZero = 0x1p-28;
  constexpr double kLarge = 0x1p28;
  if (IsNaN(x) || IsInf(x, 0)) return x;
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  double temp;
  if (x > kLarge) {
    temp = Log(x) + kLn2;  // |x| > 2**28
  } else if (x > 2) {
    temp = Log(2 * x + 1 / (Sqrt(x * x + 1) + x));  // 2**28 > |x| > 2.0
  } else if (x < kNearZero) {
    temp = x;  // |x| < 2**-28
  } else {
    temp = Log1p(x + x * x / (1 + Sqrt(1 + x * x)));  // 2.0 > |x| > 2**-28
  }
  return sign ? -temp : temp;
}

double Acosh(double x) {
  constexpr double kLn2 = 6.93147180559945286227e-01;
  constexpr double kLarge = 0x1p28;
  if (x < 1 || IsNaN(x)) return NaN();
  if (x == 1) return 0;
  if (x >= kLarge) return Log(x) + kLn2;                     // x > 2**28
  if (x > 2) return Log(2 * x - 1 / (x + Sqrt(x * x - 1)));  // 2**28 > x > 2
  double t = x - 1;
  return Log1p(t + Sqrt(2 * t + t * t));  // 2 >= x > 1
}

double Atanh(double x) {
  constexpr double kNearZero = 0x1p-28;
  if (x < -1 || x > 1 || IsNaN(x)) return NaN();
  if (x == 1) return Inf(1);
  if (x == -1) return Inf(-1);
  bool sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  double temp;
  if (x < kNearZero) {
    temp = x;
  } else if (x < 0.5) {
    temp = x + x;
    temp = 0.5 * Log1p(temp + temp * x / (1 - x));
  } else {
    temp = 0.5 * Log1p((x + x) / (1 - x));
  }
  return sign ? -temp : temp;
}

}  // namespace vigil::promql::gomath
