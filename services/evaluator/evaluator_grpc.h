#pragma once

#include "lib/service/runtime.h"
#include "services/evaluator/api_v1_json.h"
#include "services/evaluator/evaluator.h"
#include "services/evaluator/query_api.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::evaluator {

// vigil.v1.Evaluator: reads the Evaluator core on the loop thread. Query errors carry
// QueryApi's codes (INVALID_ARGUMENT for parse errors and bad parameters,
// FAILED_PRECONDITION / RESOURCE_EXHAUSTED for execution errors, UNAVAILABLE when the loop
// is busy); absl and gRPC codes are the same numbers.
class EvaluatorService final : public v1::Evaluator::Service {
 public:
  EvaluatorService(service::Runtime& rt, Evaluator& core)
      : rt_(rt), core_(core), queries_(rt, core) {}

  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse* resp) override;
  grpc::Status ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                         v1::ListRulesResponse* resp) override;
  grpc::Status Query(grpc::ServerContext*, const v1::QueryRequest* req,
                     v1::QueryResponse* resp) override;
  grpc::Status QueryRange(grpc::ServerContext*, const v1::QueryRangeRequest* req,
                          v1::QueryRangeResponse* resp) override;

 private:
  service::Runtime& rt_;
  Evaluator& core_;
  QueryApi queries_;
};

}  // namespace vigil::evaluator
