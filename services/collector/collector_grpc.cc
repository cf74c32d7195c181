#include "services/collector/collector_grpc.h"

#include "lib/codec/samples.h"

namespace vigil::collector {

using namespace std::chrono_literals;

void TargetToProto(const Target& t, v1::Target* out) {
  out->set_job(t.job);
  out->set_scrape_url(t.url);
  codec::ToProto(t.labels, out->mutable_labels());
  switch (t.health) {
    case Health::kUp:
      out->set_health(v1::TARGET_HEALTH_UP);
      break;
    case Health::kDown:
      out->set_health(v1::TARGET_HEALTH_DOWN);
      break;
    case Health::kUnknown:
      out->set_health(v1::TARGET_HEALTH_UNKNOWN);
      break;
  }
  out->set_last_error(t.last_error);
  out->set_last_scrape_ms(t.last_scrape_ms);
  out->set_last_scrape_duration_seconds(t.last_duration_seconds);
  out->set_samples_scraped(t.last_samples);
  out->set_scrape_interval_seconds(absl::ToDoubleSeconds(t.interval));
  out->set_scrape_timeout_seconds(absl::ToDoubleSeconds(t.timeout));
}

v1::ListTargetsResponse ListTargetsOf(const ScrapeManager& manager, const std::string& job) {
  v1::ListTargetsResponse r;
  if (manager.shard().count > 1) r.set_shard(manager.shard().ToString());
  for (const Target& t : manager.targets()) {
    if (job.empty() || t.job == job) TargetToProto(t, r.add_targets());
  }
  return r;
}

grpc::Status CollectorService::ListTargets(grpc::ServerContext*,
                                           const v1::ListTargetsRequest* req,
                                           v1::ListTargetsResponse* resp) {
  std::string job = req->job();
  auto result = rt_.tasks().Call([&, job] { return ListTargetsOf(manager_, job); }, 5s);
  if (!result) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "collector loop busy");
  *resp = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status CollectorService::ScrapeNow(grpc::ServerContext*, const v1::ScrapeNowRequest* req,
                                         v1::ScrapeNowResponse* resp) {
  std::string job = req->job(), url = req->scrape_url();
  auto n = rt_.tasks().Call(
      [&, job, url] { return manager_.ScheduleNow(job, url, rt_.clock().NowMs()); }, 5s);
  if (!n) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "collector loop busy");
  resp->set_scheduled(static_cast<uint32_t>(*n));
  return grpc::Status::OK;
}

}  // namespace vigil::collector
