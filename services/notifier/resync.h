#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "vigil/v1/alerts.pb.h"

namespace vigil::notifier {

// Fetches the evaluator's active alerts (vigil.v1.Evaluator/ListAlerts) on request, on its
// own thread so the loop never waits on the network. The notifier requests it on start
// and whenever the bus reports lost alert events (gap_before / publisher_restarted); the
// answer, as an AlertBatch, goes through the same path as bus events.
//
// `done` runs on the resync thread with the batch or the RPC's error; it must hand the
// batch to the loop (rt.tasks().Post) rather than touch the core itself. Requests made
// while one is in flight are coalesced into one more call after it.
class EvaluatorResync {
 public:
  using Done = std::function<void(absl::StatusOr<v1::AlertBatch>)>;

  EvaluatorResync(std::string address, std::chrono::milliseconds timeout, Done done);
  ~EvaluatorResync();  // stops and joins the thread
  EvaluatorResync(const EvaluatorResync&) = delete;
  EvaluatorResync& operator=(const EvaluatorResync&) = delete;

  void Request();
  const std::string& address() const { return address_; }

 private:
  void Run();
  absl::StatusOr<v1::AlertBatch> Fetch();

  const std::string address_;
  const std::chrono::milliseconds timeout_;
  const Done done_;
  struct Stub;
  std::unique_ptr<Stub> stub_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vigil::notifier
