#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/notifier/integrations.h"
#include "services/notifier/notification.h"
#include "services/notifier/plain_http_multi.h"

namespace vigil::notifier {

struct DeliveryOptions {
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration request_timeout = absl::Seconds(10);
  // Attempts in flight at once per receiver integration, each for another group (worker
  // threads are started as needed, up to this many).
  int parallel_per_lane = 4;
  // Plain-HTTP requests in flight at once per lane whose notifications go to an http://
  // URL (webhook or Alertmanager, no proxy): such a lane runs them all on one thread
  // (PlainHttpMulti), each for another group. 0: such lanes use worker threads too.
  int plain_http_in_flight = 16;
};

// The retry stage of the pipeline: delivers notifications through their integration,
// retrying failed attempts with exponential backoff and jitter until delivered, failed
// for good (e.g. a 4xx answer), or superseded by a newer notification of the same stream
// (group, receiver, integration).
//
// Each receiver integration (a "lane": receiver name + integration name) has its own
// worker threads, started as its notifications need them, so a slow, hanging or failing
// receiver never delays another's notifications. A lane attempts the notifications of
// several streams (aggregation groups) at once, like Alertmanager's goroutine per group,
// but one at a time per stream, so that a group's notifications stay in order. Jobs are
// taken by their due time. Each worker keeps its HTTP connection open between attempts
// (see PostJson).
//
// A lane whose integration POSTs to a plain http:// URL runs on one thread instead, with
// up to `plain_http_in_flight` requests in flight at once (PlainHttpMulti): one wake-up
// then serves every answer that has come. What libcurl must send for it (a redirect to
// follow) is sent from that thread, blocking the lane meanwhile; so is a host name's
// lookup.
//
// Thread-safe. `on_result` runs on a worker thread (the daemon posts it to its loop); it
// is called after every failed attempt and once with final = true.
class Deliverer {
 public:
  using ResultFn = std::function<void(const Notification&, const DeliveryResult&)>;
  // `send` replaces the real integrations in tests (every lane then uses worker threads).
  using SendFn = std::function<SendResult(const Notification&, absl::Duration timeout)>;

  Deliverer(prometheus::Registry& registry, ResultFn on_result, DeliveryOptions options = {},
            SendFn send = nullptr);
  // Stops the workers after their attempts in flight (a plain-HTTP lane drops its
  // attempts in flight unanswered); undelivered notifications are dropped. (The notifier
  // sends again after a restart what its outbox still owes, with the same idempotency key.)
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

  // One integration's queue and workers (all guarded by mu_).
  struct Lane {
    std::map<std::string, Job> pending;                // by stream key
    std::set<std::pair<absl::Time, std::string>> due;  // the pending ones by next attempt
    std::set<std::string> in_flight;                   // streams being attempted
    int idle = 0;                                      // workers waiting for a job
    absl::CondVar cv;                                  // wakes this lane's workers
    std::mt19937_64 rng{std::random_device{}()};
    std::vector<std::thread> threads;
    // The receiver's series of total_ and failed_, set before the first worker starts
    // (Family::Add builds and looks up a label map on every call).
    prometheus::Counter* total = nullptr;
    prometheus::Counter* failed = nullptr;
    // A plain-HTTP lane: one thread polling `multi` (set while it runs), which Submit
    // wakes when it sleeps.
    bool plain_http = false;
    PlainHttpMulti* multi = nullptr;
    bool sleeping = false;
  };

  // Whether `n`'s lane runs on one thread with a PlainHttpMulti.
  bool PlainHttpLane(const Notification& n) const;
  // The integration's own timeout, else options_.request_timeout.
  absl::Duration TimeoutOf(const Notification& n) const;
  void Run(Lane* lane);
  void RunPlainHttp(Lane* lane);
  // The earliest due job whose stream has no attempt in flight, now marked in flight;
  // nullopt if none is due (*next_due: when the first waiting one is, or InfiniteFuture).
  std::optional<Job> TakeDue(Lane* lane, absl::Time now, absl::Time* next_due)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Books an attempt's outcome: metrics, then (under mu_) the stream free again, a retry
  // queued or the job final. Returns the report to give.
  DeliveryResult Settle(Lane* lane, Job& job, const SendResult& result, absl::Duration took);
  // Queues `job` and wakes a worker; returns the stream's pending job it replaced.
  std::optional<Job> Enqueue(Lane* lane, Job job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
