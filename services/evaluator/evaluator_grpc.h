#pragma once

#include "lib/service/runtime.h"
#include "services/evaluator/evaluator.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::evaluator {

// vigil.v1.Evaluator: reads the Evaluator core on the loop thread.
class EvaluatorService final : public v1::Evaluator::Service {
 public:
  EvaluatorService(service::Runtime& rt, Evaluator& core) : rt_(rt), core_(core) {}

  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse* resp) override;
  grpc::Status ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                         v1::ListRulesResponse* resp) override;

 private:
  service::Runtime& rt_;
  Evaluator& core_;
};

}  // namespace vigil::evaluator
