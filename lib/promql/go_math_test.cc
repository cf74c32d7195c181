#include "lib/promql/go_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace vigil::promql::gomath {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Equal to the last bit (the sign of zero included), or both NaN.
::testing::AssertionResult Same(double want, double got) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  if (std::memcmp(&want, &got, sizeof want) == 0) return ::testing::AssertionSuccess();
  char buf[128];
  std::snprintf(buf, sizeof buf, "want %.17g (%a), got %.17g (%a)", want, want, got, got);
  return ::testing::AssertionFailure() << buf;
}

// Go's documented special cases (the doc comments of src/math/*.go).
TEST(GoMathTest, SpecialCases) {
  for (double (*exp)(double) : {internal::ExpSse2, internal::ExpFma, Exp}) {
    EXPECT_TRUE(Same(kInf, exp(kInf)));
    EXPECT_TRUE(Same(0, exp(-kInf)));
    EXPECT_TRUE(Same(kNaN, exp(kNaN)));
    EXPECT_TRUE(Same(1, exp(0)));
    EXPECT_TRUE(Same(1, exp(-0.0)));
    EXPECT_TRUE(Same(kInf, exp(710)));
    EXPECT_TRUE(Same(0, exp(-2000)));
    EXPECT_TRUE(Same(0, exp(-1e300)));
  }
  for (double (*log)(double) : {Log, Log2, Log10}) {
    EXPECT_TRUE(Same(kInf, log(kInf)));
    EXPECT_TRUE(Same(-kInf, log(0)));
    EXPECT_TRUE(Same(-kInf, log(-0.0)));
    EXPECT_TRUE(Same(kNaN, log(-1)));
    EXPECT_TRUE(Same(kNaN, log(-kInf)));
    EXPECT_TRUE(Same(kNaN, log(kNaN)));
    EXPECT_TRUE(Same(0, log(1)));
  }
  EXPECT_TRUE(Same(-kInf, Log1p(-1)));
  EXPECT_TRUE(Same(-0.0, Log1p(-0.0)));
  EXPECT_TRUE(Same(kNaN, Log1p(-2)));

  EXPECT_TRUE(Same(-0.0, Sin(-0.0)));
  EXPECT_TRUE(Same(-0.0, Tan(-0.0)));
  EXPECT_TRUE(Same(1, Cos(-0.0)));
  for (double (*trig)(double) : {Sin, Cos, Tan}) {
    EXPECT_TRUE(Same(kNaN, trig(kInf)));
    EXPECT_TRUE(Same(kNaN, trig(-kInf)));
    EXPECT_TRUE(Same(kNaN, trig(kNaN)));
  }
  EXPECT_TRUE(Same(-0.0, Asin(-0.0)));
  EXPECT_TRUE(Same(kNaN, Asin(1.5)));
  EXPECT_TRUE(Same(kNaN, Acos(-1.5)));
  EXPECT_TRUE(Same(-0.0, Atan(-0.0)));
  EXPECT_TRUE(Same(M_PI / 2, Atan(kInf)));
  EXPECT_TRUE(Same(-M_PI / 2, Atan(-kInf)));

  EXPECT_TRUE(Same(kNaN, Atan2(1, kNaN)));
  EXPECT_TRUE(Same(kNaN, Atan2(kNaN, 1)));
  EXPECT_TRUE(Same(0.0, Atan2(0.0, 1)));
  EXPECT_TRUE(Same(-0.0, Atan2(-0.0, 0.0)));
  EXPECT_TRUE(Same(M_PI, Atan2(0.0, -0.0)));
  EXPECT_TRUE(Same(-M_PI, Atan2(-0.0, -1)));
  EXPECT_TRUE(Same(M_PI / 2, Atan2(1, 0)));
  EXPECT_TRUE(Same(-M_PI / 2, Atan2(-1, 0)));
  EXPECT_TRUE(Same(M_PI / 4, Atan2(kInf, kInf)));
  EXPECT_TRUE(Same(-M_PI / 4, Atan2(-kInf, kInf)));
  EXPECT_TRUE(Same(2.356194490192345, Atan2(kInf, -kInf)));  // 3*Pi/4 rounded once
  EXPECT_TRUE(Same(-2.356194490192345, Atan2(-kInf, -kInf)));
  EXPECT_TRUE(Same(0.0, Atan2(1, kInf)));
  EXPECT_TRUE(Same(M_PI, Atan2(1, -kInf)));
  EXPECT_TRUE(Same(-M_PI, Atan2(-1, -kInf)));
  EXPECT_TRUE(Same(M_PI / 2, Atan2(kInf, 1)));
  EXPECT_TRUE(Same(-M_PI / 2, Atan2(-kInf, 1)));

  EXPECT_TRUE(Same(-0.0, Sinh(-0.0)));
  EXPECT_TRUE(Same(-kInf, Sinh(-kInf)));
  EXPECT_TRUE(Same(kNaN, Sinh(kNaN)));
  EXPECT_TRUE(Same(1, Cosh(-0.0)));
  EXPECT_TRUE(Same(kInf, Cosh(-kInf)));
  EXPECT_TRUE(Same(-0.0, Tanh(-0.0)));
  EXPECT_TRUE(Same(-1, Tanh(-kInf)));
  EXPECT_TRUE(Same(kNaN, Tanh(kNaN)));
  EXPECT_TRUE(Same(-0.0, Asinh(-0.0)));
  EXPECT_TRUE(Same(-kInf, Asinh(-kInf)));
  EXPECT_TRUE(Same(kInf, Acosh(kInf)));
  EXPECT_TRUE(Same(0, Acosh(1)));
  EXPECT_TRUE(Same(kNaN, Acosh(0.5)));
  EXPECT_TRUE(Same(kInf, Atanh(1)));
  EXPECT_TRUE(Same(-kInf, Atanh(-1)));
  EXPECT_TRUE(Same(-0.0, Atanh(-0.0)));
  EXPECT_TRUE(Same(kNaN, Atanh(1.5)));

  // Pow's special cases, in pow.go's order.
  EXPECT_TRUE(Same(1, Pow(kNaN, 0)));
  EXPECT_TRUE(Same(1, Pow(1, kNaN)));
  EXPECT_TRUE(Same(-3, Pow(-3, 1)));
  EXPECT_TRUE(Same(kNaN, Pow(kNaN, 2)));
  EXPECT_TRUE(Same(kNaN, Pow(2, kNaN)));
  EXPECT_TRUE(Same(-kInf, Pow(-0.0, -3)));
  EXPECT_TRUE(Same(kInf, Pow(0.0, -3)));
  EXPECT_TRUE(Same(kInf, Pow(-0.0, -kInf)));
  EXPECT_TRUE(Same(0.0, Pow(-0.0, kInf)));
  EXPECT_TRUE(Same(kInf, Pow(-0.0, -2.5)));
  EXPECT_TRUE(Same(-0.0, Pow(-0.0, 3)));
  EXPECT_TRUE(Same(0.0, Pow(-0.0, 2.5)));
  EXPECT_TRUE(Same(0.0, Pow(-0.0, 1e300)));  // 1e300 is even
  EXPECT_TRUE(Same(1, Pow(-1, kInf)));
  EXPECT_TRUE(Same(kInf, Pow(2, kInf)));
  EXPECT_TRUE(Same(0.0, Pow(2, -kInf)));
  EXPECT_TRUE(Same(0.0, Pow(0.5, kInf)));
  EXPECT_TRUE(Same(kInf, Pow(0.5, -kInf)));
  EXPECT_TRUE(Same(kInf, Pow(kInf, 0.1)));
  EXPECT_TRUE(Same(0.0, Pow(kInf, -0.1)));
  EXPECT_TRUE(Same(-kInf, Pow(-kInf, 3)));  // Pow(-0, -3)
  EXPECT_TRUE(Same(kNaN, Pow(-2, 0.5)));
  EXPECT_TRUE(Same(kInf, Pow(3, 1e19)));  // yi >= 1<<63
  EXPECT_TRUE(Same(0.0, Pow(0.5, 1e19)));

  EXPECT_TRUE(Same(kNaN, Mod(kInf, 1)));
  EXPECT_TRUE(Same(kNaN, Mod(kNaN, 1)));
  EXPECT_TRUE(Same(kNaN, Mod(1, 0)));
  EXPECT_TRUE(Same(-3, Mod(-3, kInf)));
  EXPECT_TRUE(Same(kNaN, Mod(1, kNaN)));
  EXPECT_TRUE(Same(-0.0, Mod(-6, 3)));
}

// Exact results: powers of two through Log2, and Frexp/Ldexp on normal and subnormal
// numbers.
TEST(GoMathTest, ExactResults) {
  for (int i = -1074; i <= 1023; i++) EXPECT_EQ(Log2(std::ldexp(1, i)), i) << i;
  auto [frac, exp] = Frexp(8);
  EXPECT_EQ(frac, 0.5);
  EXPECT_EQ(exp, 4);
  std::tie(frac, exp) = Frexp(5e-324);
  EXPECT_EQ(frac, 0.5);
  EXPECT_EQ(exp, -1073);
  std::tie(frac, exp) = Frexp(-0.0);
  EXPECT_TRUE(Same(-0.0, frac));
  EXPECT_TRUE(Same(5e-324, Ldexp(0.5, -1073)));
  EXPECT_TRUE(Same(0, Ldexp(1, -1075)));  // a tie, to even
  EXPECT_TRUE(Same(-kInf, Ldexp(-1, 1024)));
  EXPECT_TRUE(Same(std::ldexp(0.75, 1000), Ldexp(0.75, 1000)));
  // Mod is exact, like fmod.
  for (double x : {1e300, -7.5, 5e-324, 123456.789, -0.0}) {
    for (double y : {3.0, -0.7, 1e-310, 2.5e10}) EXPECT_TRUE(Same(std::fmod(x, y), Mod(x, y)));
  }
}

// Answers of the real Prometheus 2.42 (Debian's, Go 1.19.8, amd64) to `f(vector(x))` and
// `(x) ^ (y)` / `(x) atan2 (y)`, recorded on a CPU with AVX and FMA, where the C
// library's answer differs from Go's.
struct Golden {
  std::string fn;
  double x, y;
  double want;
};

double Call(const Golden& g) {
  const std::string& f = g.fn;
  if (f == "ln") return Log(g.x);
  if (f == "log2") return Log2(g.x);
  if (f == "log10") return Log10(g.x);
  if (f == "exp") return Exp(g.x);
  if (f == "sin") return Sin(g.x);
  if (f == "cos") return Cos(g.x);
  if (f == "tan") return Tan(g.x);
  if (f == "asin") return Asin(g.x);
  if (f == "acos") return Acos(g.x);
  if (f == "atan") return Atan(g.x);
  if (f == "sinh") return Sinh(g.x);
  if (f == "cosh") return Cosh(g.x);
  if (f == "tanh") return Tanh(g.x);
  if (f == "asinh") return Asinh(g.x);
  if (f == "acosh") return Acosh(g.x);
  if (f == "pow") return Pow(g.x, g.y);
  if (f == "atan2") return Atan2(g.x, g.y);
  ADD_FAILURE() << f;
  return 0;
}

const Golden kPrometheus[] = {
    // Go's amd64 Log takes a subnormal's bits as a normal number's.
    {"ln", 5e-324, 0, -709.0895657128241},
    {"ln", 1e-320, 0, -709.0895657128236},
    {"ln", 2.3040464530338873, 0, 0.8346669045374655},
    {"ln", 1.6018368318049985, 0, 0.47115099065294963},
    {"ln", 2.7455213001441465, 0, 1.0099709659088978},
    {"log2", 0.3, 0, -1.736965594166206},
    {"log2", 1.0000000000000002, 0, 3.3306690738754696e-16},
    {"log2", 2.829616384924671, 0, 1.500606478117093},
    {"log2", 0.8417434824661667, 0, -0.2485474494315809},
    {"log10", 5e-324, 0, -307.9536855642528},
    {"log10", 0.1, 0, -0.9999999999999999},
    {"log10", 1e15, 0, 14.999999999999998},
    {"log10", 474.0660879685854, 0, 2.675838889436499},
    {"log10", 2.417501851945965, 0, 0.38336681544980883},
    {"exp", 1.5, 0, 4.481689070338065},
    {"exp", 2.414213562373095, 0, 11.180973760547914},
    {"exp", -709.79, 0, 5.52229610670219e-309},
    {"exp", 0.8711417858622106, 0, 2.389637751061467},
    {"exp", 709.78, 0, kInf},  // Go's amd64 Exp overflows a little early
    {"sin", 1.4142135623730951, 0, 0.9877659459927355},
    {"sin", 2.0, 0, 0.9092974268256816},
    {"sin", 10.0, 0, -0.5440211108893699},
    {"sin", 536870912.0, 0, 0.3265676630185634},  // Payne-Hanek from 1<<29 on
    {"sin", -175.44354250015783, 0, 0.46677985135523},
    {"cos", 0.1, 0, 0.9950041652780257},
    {"cos", 431.0845851734755, 0, -0.7735378496892961},
    {"cos", 1.5707963267948966, 0, 6.123233995736757e-17},
    {"cos", -0.9999999999999999, 0, 0.5403023058681399},
    {"tan", 1.0, 0, 1.557407724654902},
    {"tan", 3.141592653589793, 0, -1.2246467991473515e-16},
    {"tan", -1e+22, 0, 1.6287782256068992},
    {"tan", -21.0, 0, 1.5274985276366033},
    {"asin", 0.66, 0, 0.7208187608700896},
    {"asin", 0.7071067811865476, 0, 0.7853981633974483},
    {"asin", -0.46831759445619636, 0, -0.4873856940132554},
    {"acos", 0.001, 0, 1.5697963266282298},
    {"acos", 0.3, 0, 1.266103672779499},
    {"acos", -0.1, 0, 1.6709637479564563},
    {"atan", 2.718281828459045, 0, 1.2182829050172774},
    {"atan", 3.141592653589793, 0, 1.2626272556789115},
    {"atan", 93786879079.6395, 0, 1.570796326784234},
    {"sinh", 1e-10, 0, 1.0000000000000002e-10},
    {"sinh", 1.4142135623730951, 0, 1.9350668221743565},
    {"sinh", -1.4142135623730951, 0, -1.9350668221743565},
    {"sinh", 0.7, 0, 0.7585837018395336},
    {"cosh", 0.001, 0, 1.0000005000000416},
    {"cosh", 1.5, 0, 2.3524096152432477},
    {"cosh", -315.77011777078917, 0, 6.857877167450258e+136},
    {"cosh", -709.78, 0, kInf},
    {"tanh", 0.625, 0, 0.5545997223493824},
    {"tanh", 0.5099682284957974, 0, 0.46992044374795516},
    {"tanh", 0.7664418737040102, 0, 0.6448556982999287},
    {"asinh", 740.0, 0, 7.299797823295467},
    {"asinh", -740.0, 0, -7.299797823295467},
    {"asinh", 2.35549678769914, 0, 1.5921847581151423},
    {"acosh", 3.0, 0, 1.7627471740390859},
    {"acosh", 4.688033837879555, 0, 2.2265861140064125},
    {"acosh", 668.6923145163744, 0, 7.19847065728486},
    {"pow", 5e-324, 0.001, 0.4920920110169001},
    {"pow", 5e-324, 0.3, 4.110496954075371e-93},
    {"pow", 1e-20, 0.3333333333333333, 2.1544346900318846e-07},
    {"pow", 1e-300, 0.75, 9.999999999999941e-226},
    {"atan2", 1e-20, -3.725290298461915e-09, 3.1415926535871086},
    {"atan2", 1e-10, -7.0, 3.141592653575507},
    {"atan2", 1e-05, 0.001, 0.009999666686665238},
    {"atan2", 0.3, -1.0, 2.850135859111926},
};

TEST(GoMathTest, SameAsPrometheus) {
  // Exp takes FMA instructions on a CPU with them, like Go's; the values above were
  // recorded on one, and those through Exp hold only there.
  const bool fma = internal::ExpUsesFma();
  int checked = 0;
  for (const Golden& g : kPrometheus) {
    bool via_exp = g.fn == "exp" || g.fn == "sinh" || g.fn == "cosh" || g.fn == "tanh" ||
                   (g.fn == "pow" && g.y != std::trunc(g.y));
    if (via_exp && !fma) continue;
    EXPECT_TRUE(Same(g.want, Call(g))) << g.fn << "(" << g.x << ", " << g.y << ")";
    checked++;
  }
  EXPECT_GT(checked, 40);
}

// The C library's correctly rounded answers are not Prometheus's.
TEST(GoMathTest, NotTheCLibrary) {
  EXPECT_EQ(std::log10(0.1), -1);
  EXPECT_EQ(Log10(0.1), -0.9999999999999999);
  EXPECT_LT(std::log(5e-324), -744);
  EXPECT_GT(Log(5e-324), -710);
}

}  // namespace
}  // namespace vigil::promql::gomath
