#pragma once

#include <functional>
#include <map>
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

// The retry stage of the pipeline: a worker thread that delivers notifications through
// their integration, retrying failed attempts with exponential backoff and jitter until
// delivered, failed for good (e.g. a 4xx answer), or superseded by a newer notification
// of the same stream (group, receiver, integration). One attempt at a time.
//
// Thread-safe. `on_result` runs on the worker thread (the daemon posts it to its loop);
// it is called after every failed attempt and once with final = true.
class Deliverer {
 public:
  using ResultFn = std::function<void(const Notification&, const DeliveryResult&)>;
  // `send` replaces the real integrations in tests.
  using SendFn = std::function<SendResult(const Notification&, absl::Duration timeout)>;

  Deliverer(prometheus::Registry& registry, ResultFn on_result, DeliveryOptions options = {},
            SendFn send = Send);
  // Stops the worker after the attempt in flight; undelivered notifications are dropped.
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

  void Run();
  absl::Duration Backoff(uint32_t attempts);
  void Report(const Notification& n, const DeliveryResult& r);
  void UpdateQueueGauge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ResultFn on_result_;
  DeliveryOptions options_;
  SendFn send_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Histogram& latency_;
  prometheus::Gauge& queue_length_;

  mutable absl::Mutex mu_;
  std::map<std::string, Job> pending_ ABSL_GUARDED_BY(mu_);  // by stream key
  std::optional<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::mt19937_64 rng_{std::random_device{}()};  // worker thread only
  std::thread thread_;
};

}  // namespace vigil::notifier
