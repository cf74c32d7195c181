#include "services/evaluator/evaluator_grpc.h"

#include <algorithm>
#include <chrono>

namespace vigil::evaluator {

using namespace std::chrono_literals;

namespace {

// The client's deadline when it is sooner than the default query timeout.
std::chrono::milliseconds QueryTimeout(const grpc::ServerContext* ctx) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      ctx->deadline() - std::chrono::system_clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), QueryApi::kDefaultTimeout);
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

void FillSeries(const labels::Labels& metric, const std::vector<tsdb::Point>& points,
                v1::QuerySeries* out) {
  for (const labels::LabelView& l : metric) {
    v1::Label* p = out->add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  for (const tsdb::Point& pt : points) {
    v1::QueryPoint* p = out->add_points();
    p->set_t_ms(pt.t);
    p->set_value(pt.v);
  }
}

}  // namespace

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
            s->set_evaluation_seconds(absl::ToDoubleSeconds(g->rule_duration(i)));
            if (const rules::AlertingRule* a = g->alerting(i)) {
              uint32_t active = 0;
              for (const auto& [fp, alert] : a->active()) {
                active += alert.state != rules::AlertState::kInactive;
              }
              s->set_active_alerts(active);
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

grpc::Status EvaluatorService::Query(grpc::ServerContext* ctx, const v1::QueryRequest* req,
                                     v1::QueryResponse* resp) {
  const TimestampMs t = req->time_ms() != 0 ? req->time_ms() : rt_.clock().NowMs();
  auto v = queries_.Instant(req->query(), t, QueryTimeout(ctx));
  if (!v.ok()) return ToGrpc(v.status());
  resp->set_time_ms(t);
  resp->set_result_type(std::string(ResultTypeName(v->type)));
  switch (v->type) {
    case promql::ValueType::kScalar:
      resp->set_scalar(v->scalar);
      break;
    case promql::ValueType::kString:
      resp->set_string_value(v->str);
      break;
    case promql::ValueType::kVector:
      // An instant vector's samples are reported at the evaluation time, as Prometheus does.
      for (const promql::Sample& s : v->vector)
        FillSeries(s.metric, {{t, s.value}}, resp->add_series());
      break;
    case promql::ValueType::kMatrix:
      for (const promql::Series& s : v->matrix) FillSeries(s.metric, s.points, resp->add_series());
      break;
    case promql::ValueType::kNone:
      break;
  }
  return grpc::Status::OK;
}

grpc::Status EvaluatorService::QueryRange(grpc::ServerContext* ctx,
                                          const v1::QueryRangeRequest* req,
                                          v1::QueryRangeResponse* resp) {
  auto m = queries_.Range(req->query(), req->start_ms(), req->end_ms(), req->step_ms(),
                          QueryTimeout(ctx));
  if (!m.ok()) return ToGrpc(m.status());
  for (const promql::Series& s : *m) FillSeries(s.metric, s.points, resp->add_series());
  return grpc::Status::OK;
}

}  // namespace vigil::evaluator
