#pragma once

// Go's math package, ported operation for operation, so that PromQL's math functions
// give the answers Prometheus 2.42 gives, to the last bit.
//
// Debian's Prometheus 2.42 is built by Go 1.19.8 for amd64 with the default GOAMD64=v1,
// so Go's compiler fuses no multiply-add and evaluates each float64 expression left to
// right in float64. On amd64 that Go computes Exp and Log in assembly (exp_amd64.s,
// log_amd64.s) and every other function here in Go (src/math/<name>.go); Sqrt, Floor,
// Ceil and Trunc are exact everywhere, so the C library's are used. The C library's
// log10, atan2, sin, ... are other algorithms and differ from Go's in the last bit for
// many inputs (and Go's amd64 Log is not exact for subnormal inputs: it reads them as if
// they were normal). Each function below names the Go file it follows (go_math.cc,
// go_trig.cc). Compiled with -ffp-contract=off (lib/promql/CMakeLists.txt) so that the C++
// compiler cannot fuse either. Checked against the real Prometheus by go_math_test.cc and
// tests/query_differential_test.cc.

#include <cstdint>
#include <utility>

namespace vigil::promql::gomath {

double Exp(double x);            // exp_amd64.s: FMA instructions when the CPU has AVX and FMA
double Log(double x);            // log_amd64.s
double Log2(double x);           // log10.go
double Log10(double x);          // log10.go
double Log1p(double x);          // log1p.go
double Pow(double x, double y);  // pow.go (Frexp, Modf, Ldexp: frexp.go, modf.go, ldexp.go)
double Mod(double x, double y);  // mod.go

double Sin(double x);              // sin.go, trig_reduce.go for |x| >= 2**29
double Cos(double x);              // sin.go
double Tan(double x);              // tan.go
double Asin(double x);             // asin.go
double Acos(double x);             // asin.go
double Atan(double x);             // atan.go
double Atan2(double y, double x);  // atan2.go

double Sinh(double x);   // sinh.go
double Cosh(double x);   // sinh.go
double Tanh(double x);   // tanh.go
double Asinh(double x);  // asinh.go
double Acosh(double x);  // acosh.go
double Atanh(double x);  // atanh.go

// Go's frexp.go and ldexp.go (exposed for tests).
std::pair<double, int64_t> Frexp(double f);
double Ldexp(double frac, int64_t exp);

namespace internal {
// The two paths of exp_amd64.s; Exp takes the one Go takes on this CPU.
double ExpSse2(double x);
double ExpFma(double x);
bool ExpUsesFma();
}  // namespace internal

}  // namespace vigil::promql::gomath
