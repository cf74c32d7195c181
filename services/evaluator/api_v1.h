#pragma once

#include <string>

#include "absl/status/status.h"
#include "lib/service/runtime.h"
#include "services/evaluator/evaluator.h"
#include "services/evaluator/query_api.h"

namespace vigil::evaluator {

// Prometheus 2.42's HTTP API v1 (web/api/v1/api.go), the read part, on the evaluator's
// HTTP server: /api/v1/query, /query_range, /series, /labels (GET and POST, form-encoded),
// /label/<name>/values, /rules, /alerts and /status/buildinfo (GET). Same parameters, JSON
// shapes, error types, status codes and error texts as Prometheus; see
// docs/DIFFERENCES.md for what differs. Handlers run on the HTTP threads and reach the
// Evaluator only through the loop thread (QueryApi, Runtime::tasks()).
class ApiV1 {
 public:
  // Registers the routes; call before rt.Start(). `core` must outlive the server.
  ApiV1(service::Runtime& rt, const Evaluator& core);
  ApiV1(const ApiV1&) = delete;
  ApiV1& operator=(const ApiV1&) = delete;

  // The `data` of /api/v1/rules and /api/v1/alerts. `type` is "", "alert" or "record".
  // Loop thread only.
  static std::string RulesJson(const Evaluator& core, const std::string& type);
  static std::string AlertsJson(const Evaluator& core);

 private:
  service::Runtime& rt_;
  const Evaluator& core_;
  QueryApi queries_;
};

// Prometheus's errorType and HTTP status for a QueryApi error: bad_data 400,
// execution 422, unavailable 503.
struct ApiError {
  const char* type;
  int http_status;
};
ApiError ClassifyError(const absl::Status& s);

}  // namespace vigil::evaluator
