#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/promql/engine.h"

namespace vigil::evaluator {

// The pieces of Prometheus 2.42's HTTP API v1 that are pure functions: parameter parsing
// (web/api/v1/api.go) and the JSON encoding of results (promql/value.go and
// web/api/v1/json_codec.go), byte for byte where it matters to clients.

// parseTime: unix seconds with a fraction (rounded to ms) or RFC3339 with optional
// fraction and zone. Error: `cannot parse "x" to a valid timestamp`.
absl::StatusOr<TimestampMs> ParseApiTime(std::string_view s);

// parseDuration: float seconds or a Prometheus duration ("15s", "1h30m"), as ms (truncated).
// Error: `cannot parse "x" to a valid duration`.
absl::StatusOr<int64_t> ParseApiDuration(std::string_view s);

// A JSON string literal escaped as Go's encoding/json does (<, >, & as \u003c..., control
// characters as \u00XX, invalid UTF-8 as \ufffd).
std::string JsonString(std::string_view s);

// Go's strconv.FormatFloat(v, 'e', -1, 64): the shortest digits that read back as `v`,
// exponent signed and at least two digits ("1e+00", "1.5e-07", "5e-324", "NaN", "+Inf").
std::string FormatFloatE(double v);

// A vector or matrix sample's value as Prometheus 2.42 writes it (web/api/v1's
// marshalFloat), quoted: strconv.FormatFloat(v, 'e', -1, 64) when v is not zero and its
// magnitude is below 1e-6 or from 1e21 on ("1e-07", "-1e+21"), else 'f' ("0.000001",
// "NaN", "+Inf"). Scalars are written in 'f' form whatever their size (promql.Scalar's
// MarshalJSON).
std::string JsonValue(double v);

// A vector or matrix sample's timestamp: seconds, then the milliseconds as three digits
// when not zero ("1435781451.781", "1435781451.500", "1435781451").
std::string JsonTimestamp(TimestampMs t);

// {"name":"value",...} in label order.
std::string JsonLabels(const labels::Labels& l);

// Prometheus's API name of a result type: "scalar", "vector", "matrix" or "string".
std::string_view ResultTypeName(promql::ValueType t);

// The `data` of a query response: {"resultType":...,"result":...}. `t` is the evaluation
// time, used for vector samples, scalars and strings.
std::string QueryDataJson(const promql::Value& v, TimestampMs t);
std::string MatrixJson(const promql::Matrix& m);

// Go's time.Time JSON for a UTC time in ms: RFC3339 with the shortest fraction.
std::string JsonTime(TimestampMs t);

// The response envelopes.
std::string SuccessJson(std::string_view data_json);
std::string ErrorJson(std::string_view error_type, std::string_view message);

}  // namespace vigil::evaluator
