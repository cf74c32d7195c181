#include "services/reporter/reporter_app.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/bus/topics.h"
#include "lib/service/runtime.h"
#include "services/reporter/reporter.h"
#include "services/reporter/sample_reader.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::reporter {

using namespace std::chrono_literals;

namespace {

// Most bus messages recorded in one transaction.
constexpr size_t kMaxBatch = 2000;
// The loop wakes at least this often (for Tick) when nothing happens.
constexpr auto kIdleWake = 1000ms;

// vigil.v1.Reporter: answers from the loop thread through the task queue.
class ReporterServiceImpl final : public v1::Reporter::Service {
 public:
  ReporterServiceImpl(service::Runtime& rt, Reporter& core) : rt_(rt), core_(core) {}

  grpc::Status ListAlertEvents(grpc::ServerContext*, const v1::ListAlertEventsRequest* req,
                               v1::ListAlertEventsResponse* resp) override {
    auto result =
        rt_.tasks().Call([core = &core_, req = *req] { return core->ListAlertEvents(req); }, 10s);
    if (!result) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "reporter loop busy");
    if (!result->ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(result->status().message()));
    }
    *resp = std::move(**result);
    return grpc::Status::OK;
  }

  grpc::Status ListAcknowledgements(grpc::ServerContext*,
                                    const v1::ListAcknowledgementsRequest* req,
                                    v1::ListAcknowledgementsResponse* resp) override {
    auto result = rt_.tasks().Call(
        [core = &core_, req = *req] { return core->ListAcknowledgements(req); }, 10s);
    if (!result) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "reporter loop busy");
    if (!result->ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(result->status().message()));
    }
    *resp = std::move(**result);
    return grpc::Status::OK;
  }

  // Streams batches read one bounded step at a time on the loop thread, so a large
  // answer never holds the loop (and the bus) for long.
  grpc::Status ReadSamples(grpc::ServerContext* ctx, const v1::ReadSamplesRequest* req,
                           grpc::ServerWriter<v1::SampleBatch>* writer) override {
    auto created = SampleReader::Create(*req);
    if (!created.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(created.status().message()));
    }
    // Shared with the queued step: a step that times out here still runs later.
    auto reader = std::make_shared<SampleReader>(*std::move(created));
    while (!reader->done()) {
      if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
      if (rt_.stopping()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
      auto batch =
          rt_.tasks().Call([core = &core_, reader] { return reader->Next(core->store()); }, 10s);
      if (!batch) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "reporter loop busy");
      if (!batch->ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL, std::string(batch->status().message()));
      }
      if ((*batch)->series_size() > 0 && !writer->Write(**batch)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
    }
    return grpc::Status::OK;
  }

 private:
  service::Runtime& rt_;
  Reporter& core_;
};

}  // namespace

struct ReporterApp::State {
  State(const service::CommonFlags& f, const Clock& c) : flags(f), clock(c), rt("reporter", f, c) {}

  service::CommonFlags flags;
  const Clock& clock;
  zmq::context_t ctx;
  service::Runtime rt;
  std::unique_ptr<Reporter> core;
  std::unique_ptr<ReporterServiceImpl> grpc_service;
  std::unique_ptr<bus::Publisher> publisher;
  std::unique_ptr<bus::Subscriber> subscriber;
};

ReporterApp::ReporterApp(std::unique_ptr<State> state) : state_(std::move(state)) {}
ReporterApp::~ReporterApp() {
  // Stop gRPC and HTTP before the services and the core they call into go away.
  state_->rt.Shutdown();
}

service::Runtime& ReporterApp::runtime() { return state_->rt; }
void ReporterApp::RequestStop() { state_->rt.RequestStop(); }

absl::StatusOr<std::unique_ptr<ReporterApp>> ReporterApp::Create(const service::CommonFlags& flags,
                                                                 const Clock& clock) {
  auto config = LoadRolloutConfig(flags.config_file);
  if (!config.ok()) return config.status();

  std::error_code ec;
  std::filesystem::create_directories(flags.storage_path, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat(flags.storage_path, ": cannot create storage directory: ", ec.message()));
  }
  auto store = Store::Open((std::filesystem::path(flags.storage_path) / "reporter.db").string());
  if (!store.ok()) return store.status();

  auto state = std::make_unique<State>(flags, clock);
  state->core =
      std::make_unique<Reporter>(*std::move(config), *std::move(store), state->rt.registry());
  return std::unique_ptr<ReporterApp>(new ReporterApp(std::move(state)));
}

absl::Status ReporterApp::Start() {
  State& s = *state_;
  Reporter& core = *s.core;
  s.rt.SetHooks({
      .reload = [&s, &core]() -> absl::Status {
        auto config = LoadRolloutConfig(s.flags.config_file);
        if (!config.ok()) return config.status();
        core.SetConfig(*std::move(config));
        return absl::OkStatus();
      },
      .status =
          [&s, &core](v1::ServiceStatus* status) {
            core.FillStatus(status);
            if (s.subscriber) {
              status->set_bus_gaps(s.subscriber->gaps());
              status->set_bus_dropped(s.subscriber->dropped());
            }
          },
  });
  s.grpc_service = std::make_unique<ReporterServiceImpl>(s.rt, core);
  s.rt.AddGrpcService(s.grpc_service.get());
  if (auto st = s.rt.Start(); !st.ok()) return st;

  s.publisher = std::make_unique<bus::Publisher>(s.ctx, "reporter", s.rt.registry(), s.clock);
  auto ep = s.publisher->Bind(s.flags.bus_publish_address);
  if (!ep.ok()) return ep.status();
  s.rt.AddEndpoint("bus", *ep);

  s.subscriber = std::make_unique<bus::Subscriber>(s.ctx, s.rt.registry());
  for (const std::string& endpoint : s.flags.bus_connect) s.subscriber->Connect(endpoint);
  for (std::string_view topic : {bus::kTopicSamples, bus::kTopicAlerts, bus::kTopicNotifications,
                                 bus::kTopicAcknowledgements}) {
    s.subscriber->Subscribe(std::string(topic));
  }
  spdlog::info("reporter: rollout \"{}\", storage {}, subscribed to {} publisher(s)",
               core.config().rollout.name, s.flags.storage_path, s.flags.bus_connect.size());
  s.rt.SetReady(true);
  return absl::OkStatus();
}

void ReporterApp::Run() {
  State& s = *state_;
  std::vector<bus::Message> batch;
  batch.reserve(kMaxBatch);
  while (!s.rt.stopping()) {
    zmq::pollitem_t items[] = {{s.subscriber->socket().handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, s.rt.tasks().fd(), ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, kIdleWake);
    s.rt.tasks().RunAll();
    batch.clear();
    while (batch.size() < kMaxBatch) {
      auto m = s.subscriber->Receive();
      if (!m) break;
      batch.push_back(*std::move(m));
    }
    TimestampMs now = s.clock.NowMs();
    s.core->OnMessages(batch, now);
    s.core->Tick(now);
  }
  s.rt.Shutdown();
}

int RunReporter(const service::CommonFlags& flags) {
  auto app = ReporterApp::Create(flags);
  if (!app.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string((app.status().message())).c_str());
    return 1;
  }
  if (auto s = (*app)->Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  (*app)->Run();
  return 0;
}

}  // namespace vigil::reporter
