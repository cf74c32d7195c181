#include "services/notifier/delivery.h"

#include <algorithm>
#include <vector>

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
                        .Add({})),
      thread_([this] { Run(); }) {}

Deliverer::~Deliverer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.Signal();
  }
  thread_.join();
}

void Deliverer::Submit(Notification n) {
  std::optional<Job> superseded;
  {
    absl::MutexLock lock(&mu_);
    const std::string key = n.StreamKey();
    auto it = pending_.find(key);
    if (it != pending_.end()) superseded = std::move(it->second);
    pending_[key] = Job{std::move(n), 0, absl::InfinitePast()};
    UpdateQueueGauge();
    cv_.Signal();
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
  return pending_.size() + (in_flight_ ? 1 : 0);
}

void Deliverer::UpdateQueueGauge() {
  queue_length_.Set(static_cast<double>(pending_.size() + (in_flight_ ? 1 : 0)));
}

absl::Duration Deliverer::Backoff(uint32_t attempts) {
  absl::Duration d = options_.initial_backoff;
  for (uint32_t i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  d = std::min(d, options_.max_backoff);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return std::min(d * jitter(rng_), options_.max_backoff);
}

void Deliverer::Report(const Notification& n, const DeliveryResult& r) {
  if (on_result_) on_result_(n, r);
}

void Deliverer::Run() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        auto due = pending_.end();
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
          if (due == pending_.end() || it->second.next_attempt < due->second.next_attempt) {
            due = it;
          }
        }
        if (due != pending_.end() && due->second.next_attempt <= absl::Now()) {
          job = std::move(due->second);
          in_flight_ = due->first;
          pending_.erase(due);
          break;
        }
        // Woken by Submit and the destructor, or at the earliest retry time.
        cv_.WaitWithDeadline(
            &mu_, due == pending_.end() ? absl::InfiniteFuture() : due->second.next_attempt);
      }
    }

    const Notification& n = job.notification;
    ++job.attempts;
    const absl::Time start = absl::Now();
    SendResult result = send_(n, options_.request_timeout);
    latency_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
    total_.Add({{"receiver", n.receiver}}).Increment();
    if (!result.ok) failed_.Add({{"receiver", n.receiver}}).Increment();

    DeliveryResult report{.id = n.id, .attempts = job.attempts, .error = result.error};
    {
      absl::MutexLock lock(&mu_);
      in_flight_.reset();
      const bool newer = pending_.contains(n.StreamKey());
      if (result.ok) {
        report.final = report.delivered = true;
      } else if (newer) {
        report.final = report.superseded = true;
      } else if (result.retry && !stop_) {
        job.next_attempt = absl::Now() + Backoff(job.attempts);
        pending_[n.StreamKey()] = job;
      } else {
        report.final = true;
      }
      UpdateQueueGauge();
    }
    Report(n, report);
  }
}

}  // namespace vigil::notifier
