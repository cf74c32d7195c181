#pragma once

#include "vigil/v1/control.grpc.pb.h"

namespace vigil::service {

class Runtime;

// vigil.v1.Control for every service: answers on the loop thread through the task queue.
class ControlServiceImpl final : public v1::Control::Service {
 public:
  explicit ControlServiceImpl(Runtime& runtime) : runtime_(runtime) {}

  grpc::Status GetStatus(grpc::ServerContext* ctx, const v1::GetStatusRequest* req,
                         v1::ServiceStatus* resp) override;
  grpc::Status Reload(grpc::ServerContext* ctx, const v1::ReloadRequest* req,
                      v1::ReloadResponse* resp) override;

 private:
  Runtime& runtime_;
};

}  // namespace vigil::service
