#include "services/evaluator/evaluator_grpc.h"

namespace vigil::evaluator {

using namespace std::chrono_literals;

grpc::Status EvaluatorService::ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                                          v1::ListAlertsResponse* resp) {
  auto r = rt_.tasks().Call(
      [this] {
        v1::ListAlertsResponse out;
        for (auto& e : core_.ActiveAlerts(rt_.clock().NowMs())) *out.add_alerts() = std::move(e);
        return out;
      },
      5s);
  if (!r) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "evaluator loop busy");
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status EvaluatorService::ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                                         v1::ListRulesResponse* resp) {
  auto r = rt_.tasks().Call(
      [this] {
        v1::ListRulesResponse out;
        for (const auto& g : core_.groups()) {
          for (size_t i = 0; i < g->size(); ++i) {
            const rules::RuleSpec& spec = g->rule(i);
            v1::RuleStatus* s = out.add_rules();
            s->set_group(g->name());
            s->set_name(spec.name());
            s->set_type(spec.alert.empty() ? "recording" : "alerting");
            s->set_query(spec.expr_text);
            s->set_duration_seconds(absl::ToDoubleSeconds(spec.for_duration));
            const std::string& err = g->rule_error(i);
            s->set_health(g->last_evaluation() == 0 ? "unknown" : err.empty() ? "ok" : "err");
            s->set_last_error(err);
            s->set_last_evaluation_ms(g->last_evaluation());
            if (const rules::AlertingRule* a = g->alerting(i)) {
              s->set_active_alerts(static_cast<uint32_t>(a->active().size()));
            }
          }
        }
        return out;
      },
      5s);
  if (!r) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "evaluator loop busy");
  *resp = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace vigil::evaluator
