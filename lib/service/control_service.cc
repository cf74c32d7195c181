#include "lib/service/control_service.h"

#include "lib/service/runtime.h"

namespace vigil::service {

using namespace std::chrono_literals;

grpc::Status ControlServiceImpl::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                                           v1::ServiceStatus* resp) {
  auto status = runtime_.tasks().Call(
      [this] {
        v1::ServiceStatus s;
        runtime_.FillStatus(&s);
        return s;
      },
      5s);
  if (!status) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "service loop busy");
  *resp = std::move(*status);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::Reload(grpc::ServerContext*, const v1::ReloadRequest*,
                                        v1::ReloadResponse* resp) {
  auto result = runtime_.tasks().Call([this] { return runtime_.Reload(); }, 30s);
  if (!result) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "service loop busy");
  resp->set_ok(result->ok());
  resp->set_error(std::string(result->message()));
  if (!result->ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(result->message()));
  }
  return grpc::Status::OK;
}

}  // namespace vigil::service
