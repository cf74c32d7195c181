#pragma once

// Thin gRPC calls the cross-process tests make, as `vigil status` or grpcurl would.

#include <grpcpp/grpcpp.h>

#include <limits>
#include <optional>
#include <string>

#include "vigil/v1/control.grpc.pb.h"

namespace vigil::testing {

inline std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

inline std::optional<v1::ServiceStatus> GetStatus(const std::string& address) {
  auto stub = v1::Control::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ServiceStatus out;
  if (!stub->GetStatus(&ctx, v1::GetStatusRequest(), &out).ok()) return std::nullopt;
  return out;
}

inline double Stat(const std::string& address, const std::string& key) {
  auto s = GetStatus(address);
  if (!s) return -1;
  auto it = s->stats().find(key);
  return it == s->stats().end() ? -1 : it->second;
}

inline std::vector<v1::StoredAlertEvent> StoredAlertEvents(const std::string& address,
                                                           const std::string& alertname) {
  auto stub = v1::Reporter::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ListAlertEventsRequest req;
  req.set_alertname(alertname);
  v1::ListAlertEventsResponse resp;
  if (!stub->ListAlertEvents(&ctx, req, &resp).ok()) return {};
  return {resp.events().begin(), resp.events().end()};
}

// Reloads a service's configuration (Control.Reload, as `vigil reload`); its error, or ""
// when it took.
inline std::string Reload(const std::string& address) {
  auto stub = v1::Control::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::ReloadResponse resp;
  grpc::Status s = stub->Reload(&ctx, v1::ReloadRequest(), &resp);
  if (!s.ok()) return s.error_message();
  return resp.ok() ? "" : resp.error();
}

// The evaluator's pending, firing and recently resolved alerts named `alertname`.
inline std::vector<v1::AlertEvent> EvaluatorAlerts(const std::string& address,
                                                   const std::string& alertname) {
  auto stub = v1::Evaluator::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ListAlertsResponse resp;
  if (!stub->ListAlerts(&ctx, v1::ListAlertsRequest(), &resp).ok()) return {};
  std::vector<v1::AlertEvent> out;
  for (const auto& a : resp.alerts()) {
    for (const auto& l : a.labels()) {
      if (l.name() == "alertname" && l.value() == alertname) out.push_back(a);
    }
  }
  return out;
}

// The value of the first sample an instant query at `time_ms` (0: now) returns.
inline std::optional<double> QueryFirstValue(const std::string& address, const std::string& expr,
                                             int64_t time_ms = 0) {
  auto stub = v1::Evaluator::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::QueryRequest req;
  req.set_query(expr);
  req.set_time_ms(time_ms);
  v1::QueryResponse resp;
  if (!stub->Query(&ctx, req, &resp).ok()) return std::nullopt;
  if (resp.result_type() == "scalar") return resp.scalar();
  if (resp.series_size() == 0 || resp.series(0).points_size() == 0) return std::nullopt;
  return resp.series(0).points(0).value();
}

// How many samples the reporter holds of the series named `name` (ReadSamples, all time).
inline size_t StoredSamples(const std::string& address, const std::string& name) {
  auto stub = v1::Reporter::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ReadSamplesRequest req;
  req.set_start_ms(0);
  req.set_end_ms(std::numeric_limits<int64_t>::max());
  v1::LabelMatcher* m = req.add_selectors()->add_matchers();
  m->set_name("__name__");
  m->set_value(name);
  auto reader = stub->ReadSamples(&ctx, req);
  size_t n = 0;
  for (v1::SampleBatch batch; reader->Read(&batch);) {
    for (const auto& series : batch.series()) n += static_cast<size_t>(series.samples_size());
  }
  return reader->Finish().ok() ? n : 0;
}

inline bool HasStoredState(const std::string& address, const std::string& alertname,
                           const std::string& state) {
  for (const auto& e : StoredAlertEvents(address, alertname)) {
    if (e.state() == state) return true;
  }
  return false;
}

}  // namespace vigil::testing
