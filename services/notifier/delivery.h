#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/notifier/integrations.h"
#include "services/notifier/notification.h"

namespace vigil::notifier {

struct DeliveryOptions {
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration request_timeout = absl::Seconds(10);
};

// The retry stage of the pipeline: delivers notifications through their integration,
// retrying failed attempts with exponential backoff and jitter until delivered, failed
// for good (e.g. a 4xx answer), or superseded by a newer notification of the same stream
// (group, receiver, integration).
//
// Each receiver integration (a "lane": receiver name + integration name) has its own
// worker thread, started on its first notification, so a slow, hanging or failing
// receiver never delays another's notifications. A lane makes one attempt at a time, so
// the notifications of one aggregation group to one integration stay in order.
//
// Thread-safe. `on_result` runs on a worker thread (the daemon posts it to its loop); it
// is called after every failed attempt and once with final = true.
class Deliverer {
 public:
  using ResultFn = std::function<void(const Notification&, const DeliveryResult&)>;
  // `send` replaces the real integrations in tests.
  using SendFn = std::function<SendResult(const Notification&, absl::Duration timeout)>;

  Deliverer(prometheus::Registry& registry, ResultFn on_result, DeliveryOptions options = {},
            SendFn send = Send);
  // Stops the workers after their attempts in flight; undelivered notifications are
  // dropped.
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  void Submit(Notification n);
  // Creates the receiver's metric series at zero, so they exist before the first attempt.
  void InitReceiverMetrics(const std::string& receiver);
  // Notifications waiting or in flight.
  size_t QueueLength() const;

 private:
  struct Job {
    Notification notification;
    uint32_t attempts = 0;
    absl::Time next_attempt;
  };

  // One integration's queue and worker.
  struct Lane {
    std::map<std::string, Job> pending;  // by stream key
    std::optional<std::string> in_flight;
    absl::CondVar cv;                             // wakes this lane's worker
    std::mt19937_64 rng{std::random_device{}()};  // its worker only
    std::thread thread;
  };

  void Run(Lane* lane);
  absl::Duration Backoff(uint32_t attempts, std::mt19937_64& rng);
  void Report(const Notification& n, const DeliveryResult& r);
  size_t QueueLengthLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateQueueGauge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ResultFn on_result_;
  DeliveryOptions options_;
  SendFn send_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Histogram& latency_;
  prometheus::Gauge& queue_length_;

  mutable absl::Mutex mu_;  // guards every lane's queue
  std::map<std::string, std::unique_ptr<Lane>> lanes_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vigil::notifier
