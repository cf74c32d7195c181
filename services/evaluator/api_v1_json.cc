#include "services/evaluator/api_v1_json.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/time/time.h"
#include "lib/base/format.h"
#include "lib/json/go_string.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "lib/promql/parser.h"

namespace vigil::evaluator {

namespace {

// Go's strconv.ParseFloat accepts what strtod accepts, minus C's leading blanks and
// partial parses; out-of-range values are errors.
bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string str(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return false;
  if (errno == ERANGE && std::isinf(v)) return false;
  *out = v;
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

absl::StatusOr<TimestampMs> ParseApiTime(std::string_view s) {
  double f;
  if (ParseGoFloat(s, &f) && std::isfinite(f) && std::fabs(f) < 9.2e9) {
    // Go: s, ns := math.Modf(t); ns = math.Round(ns*1000) / 1000;
    // time.Unix(int64(s), int64(ns*1e9)), then milliseconds by flooring.
    double sec;
    double frac = std::modf(f, &sec);
    frac = std::round(frac * 1000) / 1000;
    int64_t nanos = static_cast<int64_t>(sec) * 1'000'000'000 + static_cast<int64_t>(frac * 1e9);
    return FloorDiv(nanos, 1'000'000);
  }
  absl::Time t;
  std::string err;
  const std::string str(s);
  if (str.find('T') != std::string::npos && absl::ParseTime(absl::RFC3339_full, str, &t, &err)) {
    return absl::ToUnixMillis(t);
  }
  return absl::InvalidArgumentError(
      StrCat("cannot parse ", labels::GoQuote(s), " to a valid timestamp"));
}

absl::StatusOr<int64_t> ParseApiDuration(std::string_view s) {
  double f;
  if (ParseGoFloat(s, &f)) {
    double ns = f * 1e9;
    if (ns > 9.223372036854775807e18 || ns < -9.223372036854775808e18 || std::isnan(ns)) {
      return absl::InvalidArgumentError(
          StrCat("cannot parse ", labels::GoQuote(s), " to a valid duration. It overflows int64"));
    }
    return static_cast<int64_t>(ns) / 1'000'000;
  }
  auto d = promql::ParseDurationMs(s);
  if (d.ok()) return *d;
  return absl::InvalidArgumentError(
      StrCat("cannot parse ", labels::GoQuote(s), " to a valid duration"));
}

std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  json::AppendGoJsonString(s, &out);
  return out;
}

std::string_view ResultTypeName(promql::ValueType t) {
  switch (t) {
    case promql::ValueType::kScalar:
      return "scalar";
    case promql::ValueType::kVector:
      return "vector";
    case promql::ValueType::kMatrix:
      return "matrix";
    case promql::ValueType::kString:
      return "string";
    case promql::ValueType::kNone:
      break;
  }
  return "none";
}

std::string FormatFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Without a precision, to_chars writes the shortest round-trip digits; its scientific
  // exponent is printf's %e one (sign, at least two digits), as Go's.
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

std::string JsonValue(double v) {
  const double a = std::fabs(v);
  const bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);  // NaN compares false
  return StrCat("\"", exponent ? FormatFloatE(v) : promql::FormatFloatF(v), "\"");
}

std::string JsonTimestamp(TimestampMs t) {
  std::string out;
  if (t < 0) {
    out = "-";
    t = -t;
  }
  out += std::to_string(t / 1000);
  if (int64_t frac = t % 1000; frac != 0) out += fmt::format(".{:03d}", frac);
  return out;
}

std::string JsonLabels(const labels::Labels& l) {
  std::string out = "{";
  for (const labels::LabelView& x : l) {
    if (out.size() > 1) out += ',';
    out += JsonString(x.name);
    out += ':';
    out += JsonString(x.value);
  }
  out += '}';
  return out;
}

namespace {

std::string Point(TimestampMs t, double v) {
  return StrCat("[", JsonTimestamp(t), ",", JsonValue(v), "]");
}

// Scalars and strings are encoded through encoding/json: [float64(t)/1000, "v"].
std::string ScalarTimestamp(TimestampMs t) {
  return t == 0 ? "0" : promql::FormatFloatF(static_cast<double>(t) / 1000);
}

}  // namespace

std::string MatrixJson(const promql::Matrix& m) {
  std::string out = "[";
  for (const promql::Series& s : m) {
    if (out.size() > 1) out += ',';
    out += StrCat("{\"metric\":", JsonLabels(s.metric), ",\"values\":[");
    for (size_t i = 0; i < s.points.size(); ++i) {
      if (i > 0) out += ',';
      out += Point(s.points[i].t, s.points[i].v);
    }
    out += "]}";
  }
  out += ']';
  return out;
}

std::string QueryDataJson(const promql::Value& v, TimestampMs t) {
  std::string result;
  switch (v.type) {
    case promql::ValueType::kScalar:
      result = StrCat("[", ScalarTimestamp(t), ",\"", promql::FormatFloatF(v.scalar), "\"]");
      break;
    case promql::ValueType::kString:
      result = StrCat("[", ScalarTimestamp(t), ",", JsonString(v.str), "]");
      break;
    case promql::ValueType::kVector:
      result = "[";
      for (const promql::Sample& s : v.vector) {
        if (result.size() > 1) result += ',';
        result +=
            StrCat("{\"metric\":", JsonLabels(s.metric), ",\"value\":", Point(t, s.value), "}");
      }
      result += ']';
      break;
    case promql::ValueType::kMatrix:
      result = MatrixJson(v.matrix);
      break;
    case promql::ValueType::kNone:
      result = "null";
      break;
  }
  return StrCat("{\"resultType\":\"", ResultTypeName(v.type), "\",\"result\":", result, "}");
}

std::string JsonTime(TimestampMs t) {
  if (t == 0 || t == INT64_MIN) return "\"0001-01-01T00:00:00Z\"";
  absl::Time at = absl::FromUnixMillis(t);
  std::string s = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", at, absl::UTCTimeZone());
  return StrCat("\"", s, "\"");
}

std::string SuccessJson(std::string_view data_json) {
  return StrCat("{\"status\":\"success\",\"data\":", data_json, "}");
}

std::string ErrorJson(std::string_view error_type, std::string_view message) {
  return StrCat("{\"status\":\"error\",\"errorType\":", JsonString(error_type),
                ",\"error\":", JsonString(message), "}");
}

}  // namespace vigil::evaluator
