#pragma once

#include "lib/service/runtime.h"
#include "services/collector/scrape_manager.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::collector {

// Converts a target's state for the API and for `vigil status`.
void TargetToProto(const Target& t, v1::Target* out);

// ListTargets' answer: the targets of `job` (all when empty) that this collector scrapes,
// and its shard "i/N" when --shard splits the targets (empty when it scrapes them all).
v1::ListTargetsResponse ListTargetsOf(const ScrapeManager& manager, const std::string& job);

// vigil.v1.Collector: reads and pokes the ScrapeManager on the loop thread.
class CollectorService final : public v1::Collector::Service {
 public:
  CollectorService(service::Runtime& rt, ScrapeManager& manager) : rt_(rt), manager_(manager) {}

  grpc::Status ListTargets(grpc::ServerContext*, const v1::ListTargetsRequest* req,
                           v1::ListTargetsResponse* resp) override;
  grpc::Status ScrapeNow(grpc::ServerContext*, const v1::ScrapeNowRequest* req,
                         v1::ScrapeNowResponse* resp) override;

 private:
  service::Runtime& rt_;
  ScrapeManager& manager_;
};

}  // namespace vigil::collector
