#include "services/notifier/delivery.h"

#include <algorithm>
#include <vector>

#include "lib/base/thread_name.h"

namespace vigil::notifier {

Deliverer::Deliverer(prometheus::Registry& registry, ResultFn on_result, DeliveryOptions options,
                     SendFn send)
    : on_result_(std::move(on_result)),
      options_(options),
      send_(std::move(send)),
      total_(prometheus::BuildCounter()
                 .Name("vigil_notifier_notifications_total")
                 .Help("Delivery attempts, by receiver.")
                 .Register(registry)),
      failed_(prometheus::BuildCounter()
                  .Name("vigil_notifier_notifications_failed_total")
                  .Help("Failed delivery attempts, by receiver.")
                  .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("vigil_notifier_notification_latency_seconds")
                   .Help("Duration of delivery attempts.")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.05, 0.1, 0.5, 1,
                                                                    5, 10, 15, 20})),
      queue_length_(prometheus::BuildGauge()
                        .Name("vigil_notifier_queue_length")
                        .Help("Notifications waiting for delivery or in flight.")
                        .Register(registry)
                        .Add({})) {}

Deliverer::~Deliverer() {
  std::vector<std::thread*> threads;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    for (auto& [key, lane] : lanes_) {
      lane->cv.SignalAll();
      for (std::thread& t : lane->threads) threads.push_back(&t);
    }
  }
  for (std::thread* t : threads) t->join();
}

void Deliverer::Submit(Notification n) {
  std::optional<Job> superseded;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Lane>& lane = lanes_[n.receiver + '\x1f' + n.integration.Name()];
    if (lane == nullptr) {
      lane = std::make_unique<Lane>();
      lane->total = &total_.Add({{"receiver", n.receiver}});
      lane->failed = &failed_.Add({{"receiver", n.receiver}});
    }
    superseded = Enqueue(lane.get(), Job{std::move(n), 0, absl::Now()});  // due now, FIFO
    // Another worker when more jobs wait than workers are free, so that other groups need
    // not wait. (A worker woken for an earlier Submit still counts as idle until it runs:
    // comparing with the queue, not with zero, lets a burst start its workers.)
    if (lane->pending.size() > static_cast<size_t>(lane->idle) && !stop_ &&
        static_cast<int>(lane->threads.size()) < std::max(1, options_.parallel_per_lane)) {
      lane->threads.emplace_back([this, l = lane.get()] {
        SetThreadName("deliver");
        Run(l);
      });
    }
    UpdateQueueGauge();
  }
  if (superseded) {
    Report(superseded->notification, {.id = superseded->notification.id,
                                      .final = true,
                                      .superseded = true,
                                      .attempts = superseded->attempts,
                                      .error = ""});
  }
}

void Deliverer::InitReceiverMetrics(const std::string& receiver) {
  total_.Add({{"receiver", receiver}});
  failed_.Add({{"receiver", receiver}});
}

size_t Deliverer::QueueLength() const {
  absl::MutexLock lock(&mu_);
  return QueueLengthLocked();
}

size_t Deliverer::QueueLengthLocked() const {
  size_t n = 0;
  for (const auto& [key, lane] : lanes_) n += lane->pending.size() + lane->in_flight.size();
  return n;
}

void Deliverer::UpdateQueueGauge() { queue_length_.Set(static_cast<double>(QueueLengthLocked())); }

absl::Duration Deliverer::Backoff(uint32_t attempts, std::mt19937_64& rng) {
  absl::Duration d = options_.initial_backoff;
  for (uint32_t i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  d = std::min(d, options_.max_backoff);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return std::min(d * jitter(rng), options_.max_backoff);
}

std::optional<Deliverer::Job> Deliverer::Enqueue(Lane* lane, Job job) {
  std::optional<Job> replaced;
  const std::string key = job.notification.StreamKey();
  auto it = lane->pending.find(key);
  if (it != lane->pending.end()) {
    lane->due.erase({it->second.next_attempt, key});
    replaced = std::move(it->second);
    lane->pending.erase(it);
  }
  lane->due.emplace(job.next_attempt, key);
  lane->pending.emplace(key, std::move(job));
  lane->cv.Signal();
  return replaced;
}

void Deliverer::Report(const Notification& n, const DeliveryResult& r) {
  if (on_result_) on_result_(n, r);
}

void Deliverer::Run(Lane* lane) {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        // The earliest job whose stream has no attempt in flight (one at a time per
        // stream keeps a group's notifications in order).
        auto next = lane->due.begin();
        while (next != lane->due.end() && lane->in_flight.contains(next->second)) ++next;
        if (next != lane->due.end() && next->first <= absl::Now()) {
          auto it = lane->pending.find(next->second);
          job = std::move(it->second);
          lane->in_flight.insert(it->first);
          lane->pending.erase(it);
          lane->due.erase(next);
          break;
        }
        // Woken by Submit, a finished attempt and the destructor, or at the retry time.
        ++lane->idle;
        lane->cv.WaitWithDeadline(&mu_,
                                  next == lane->due.end() ? absl::InfiniteFuture() : next->first);
        --lane->idle;
      }
    }

    const Notification& n = job.notification;
    ++job.attempts;
    const absl::Time start = absl::Now();
    SendResult result = send_(n, options_.request_timeout);
    latency_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
    lane->total->Increment();
    if (!result.ok) lane->failed->Increment();

    DeliveryResult report{.id = n.id, .attempts = job.attempts, .error = result.error};
    {
      absl::MutexLock lock(&mu_);
      lane->in_flight.erase(n.StreamKey());
      const bool newer = lane->pending.contains(n.StreamKey());
      if (result.ok) {
        report.final = report.delivered = true;
      } else if (newer) {
        report.final = report.superseded = true;
      } else if (result.retry && !stop_) {
        job.next_attempt = absl::Now() + Backoff(job.attempts, lane->rng);
        Enqueue(lane, job);  // nothing newer is pending: replaces nothing
      } else {
        report.final = true;
      }
      // The stream is free again: a newer notification of it may be waiting.
      if (newer) lane->cv.Signal();
      UpdateQueueGauge();
    }
    Report(n, report);
  }
}

}  // namespace vigil::notifier
