#include "services/notifier/resync.h"

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "lib/base/format.h"
#include "lib/base/thread_name.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {

struct EvaluatorResync::Stub {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Evaluator::Stub> stub;
};

EvaluatorResync::EvaluatorResync(std::string address, std::chrono::milliseconds timeout,
                                 Done done)
    : address_(std::move(address)), timeout_(timeout), done_(std::move(done)) {
  stub_ = std::make_unique<Stub>();
  stub_->channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  stub_->stub = v1::Evaluator::NewStub(stub_->channel);
  thread_ = std::thread([this] {
    SetThreadName("resync");
    Run();
  });
}

EvaluatorResync::~EvaluatorResync() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void EvaluatorResync::Request() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

void EvaluatorResync::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    lock.unlock();
    auto batch = Fetch();
    done_(std::move(batch));
    lock.lock();
  }
}

absl::StatusOr<v1::AlertBatch> EvaluatorResync::Fetch() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::ListAlertsRequest req;
  v1::ListAlertsResponse resp;
  grpc::Status s = stub_->stub->ListAlerts(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::UnavailableError(
        StrCat("resync from evaluator ", address_, ": ", s.error_message()));
  }
  v1::AlertBatch batch;
  batch.mutable_alerts()->Swap(resp.mutable_alerts());
  batch.set_snapshot(true);  // the evaluator's whole state
  return batch;
}

}  // namespace vigil::notifier
