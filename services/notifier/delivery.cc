#include "services/notifier/delivery.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "lib/base/format.h"
#include "lib/base/thread_name.h"
#include "services/notifier/http_client.h"
#include <spdlog/spdlog.h>

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
      if (lane->multi != nullptr) lane->multi->Wake();
      for (std::thread& t : lane->threads) threads.push_back(&t);
    }
  }
  for (std::thread* t : threads) t->join();
}

void Deliverer::Submit(Notification n) {
  std::optional<Job> superseded;
  {
    absl::MutexLock lock(&mu_);
    // A reload that turns an integration's URL from http:// to https:// (or back) moves
    // its notifications to a lane of the other kind.
    const bool plain_http = PlainHttpLane(n);
    std::unique_ptr<Lane>& lane =
        lanes_[StrCat(n.receiver, "\x1f", n.integration.Name(), plain_http ? "\x1fplain" : "")];
    if (lane == nullptr) {
      lane = std::make_unique<Lane>();
      lane->total = &total_.Add({{"receiver", n.receiver}});
      lane->failed = &failed_.Add({{"receiver", n.receiver}});
      lane->plain_http = plain_http;
    }
    superseded = Enqueue(lane.get(), Job{std::move(n), 0, absl::Now()});  // due now, FIFO
    if (lane->plain_http) {
      if (lane->threads.empty() && !stop_) {
        lane->threads.emplace_back([this, l = lane.get()] {
          SetThreadName("deliver");
          RunPlainHttp(l);
        });
      }
    } else if (lane->pending.size() > static_cast<size_t>(lane->idle) && !stop_ &&
               static_cast<int>(lane->threads.size()) < std::max(1, options_.parallel_per_lane)) {
      // Another worker when more jobs wait than workers are free, so that other groups need
      // not wait. (A worker woken for an earlier Submit still counts as idle until it runs:
      // comparing with the queue, not with zero, lets a burst start its workers.)
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
  if (lane->sleeping) {  // a plain-HTTP lane's thread, waiting in Poll
    lane->sleeping = false;
    lane->multi->Wake();
  }
  return replaced;
}

void Deliverer::Report(const Notification& n, const DeliveryResult& r) {
  if (on_result_) on_result_(n, r);
}

std::optional<Deliverer::Job> Deliverer::TakeDue(Lane* lane, absl::Time now,
                                                  absl::Time* next_due) {
  // The earliest job whose stream has no attempt in flight (one at a time per stream
  // keeps a group's notifications in order).
  auto next = lane->due.begin();
  while (next != lane->due.end() && lane->in_flight.contains(next->second)) ++next;
  if (next == lane->due.end() || next->first > now) {
    *next_due = next == lane->due.end() ? absl::InfiniteFuture() : next->first;
    return std::nullopt;
  }
  auto it = lane->pending.find(next->second);
  Job job = std::move(it->second);
  lane->in_flight.insert(it->first);
  lane->pending.erase(it);
  lane->due.erase(next);
  return job;
}

DeliveryResult Deliverer::Settle(Lane* lane, Job& job, const SendResult& result,
                                 absl::Duration took) {
  const Notification& n = job.notification;
  latency_.Observe(absl::ToDoubleSeconds(took));
  lane->total->Increment();
  if (!result.ok) lane->failed->Increment();
  DeliveryResult report{.id = n.id, .attempts = job.attempts, .error = result.error};
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
  return report;
}

void Deliverer::Run(Lane* lane) {
  const SendFn& send = send_ ? send_ : SendFn(Send);
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        absl::Time next_due;
        if (std::optional<Job> due = TakeDue(lane, absl::Now(), &next_due)) {
          job = std::move(*due);
          break;
        }
        // Woken by Submit, a finished attempt and the destructor, or at the retry time.
        ++lane->idle;
        lane->cv.WaitWithDeadline(&mu_, next_due);
        --lane->idle;
      }
    }
    ++job.attempts;
    const absl::Time start = absl::Now();
    SendResult result = send(job.notification, TimeoutOf(job.notification));
    DeliveryResult report = Settle(lane, job, result, absl::Now() - start);
    Report(job.notification, report);
  }
}

absl::Duration Deliverer::TimeoutOf(const Notification& n) const {
  return n.integration.timeout > absl::ZeroDuration() ? n.integration.timeout
                                                      : options_.request_timeout;
}

bool Deliverer::PlainHttpLane(const Notification& n) const {
  if (send_ || options_.plain_http_in_flight <= 0) return false;
  return PlainHttpTargetOf(n.integration).has_value();
}

void Deliverer::RunPlainHttp(Lane* lane) {
  absl::StatusOr<std::unique_ptr<PlainHttpMulti>> made = PlainHttpMulti::Create();
  if (!made.ok()) {
    spdlog::error("delivery: {}; this receiver's notifications go through a worker thread",
                  made.status().ToString());
    Run(lane);
    return;
  }
  std::unique_ptr<PlainHttpMulti> multi = std::move(*made);
  struct Attempt {
    Job job;
    PreparedPost post;
    std::string body;
    const HttpClientConfig* http = nullptr;  // the job's notification's (or the defaults)
    absl::Time start;
  };
  std::unordered_map<uint64_t, Attempt> running;  // by notification id
  std::vector<PlainHttpMulti::Finished> finished;
  std::vector<std::pair<Notification, DeliveryResult>> reports;
  {
    absl::MutexLock lock(&mu_);
    lane->multi = multi.get();
  }
  // An attempt's end: booked, and its report kept to give after the batch.
  auto settle = [&](Attempt& a, const SendResult& result) {
    DeliveryResult report = Settle(lane, a.job, result, absl::Now() - a.start);
    reports.emplace_back(std::move(a.job.notification), report);
  };
  const size_t in_flight = static_cast<size_t>(options_.plain_http_in_flight);
  while (true) {
    std::vector<Job> start;
    absl::Time next_due = absl::InfiniteFuture();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) {
        lane->multi = nullptr;
        return;  // the attempts in flight are dropped with the multi
      }
      const absl::Time now = absl::Now();
      while (running.size() + start.size() < in_flight) {
        std::optional<Job> due = TakeDue(lane, now, &next_due);
        if (!due) break;
        start.push_back(std::move(*due));
      }
      // From here on a Submit wakes Poll, unless no new attempt could start anyway.
      lane->sleeping = running.size() + start.size() < in_flight;
    }
    for (Job& job : start) {
      ++job.attempts;
      Attempt a{std::move(job), {}, {}, nullptr, absl::Now()};
      std::optional<HttpPost> post = HttpPostOf(a.job.notification);
      if (post) a.post = PreparePost(post->url, post->headers, *post->http);
      if (!post || a.post.failed || !a.post.plain) {
        // Refused already. (`plain` is set: PlainHttpLane admitted the notification through
        // PlainHttpTargetFor, the test PreparePost makes; were it not, sent as a worker would.)
        settle(a, post && a.post.failed ? *a.post.failed
                                        : Send(a.job.notification, TimeoutOf(a.job.notification)));
        continue;
      }
      const uint64_t id = a.job.notification.id;
      a.body = std::move(post->body);
      a.http = post->http;
      Attempt& stored = running.emplace(id, std::move(a)).first->second;
      multi->Start(id, *stored.post.plain, stored.post.plain_lines, stored.body,
                   TimeoutOf(stored.job.notification));
    }
    // Settled attempts may have queued retries or freed streams: look again at once.
    multi->Poll(reports.empty() ? next_due : absl::InfinitePast(), &finished);
    {
      absl::MutexLock lock(&mu_);
      lane->sleeping = false;
    }
    for (PlainHttpMulti::Finished& f : finished) {
      auto it = running.find(f.tag);
      Attempt& a = it->second;
      std::optional<SendResult> result = PlainOutcome(a.post, f.response, *a.http);
      if (!result) {
        // A redirect to follow: libcurl follows it as Go's client would, in the time left
        // (blocking this lane meanwhile; webhooks rarely redirect).
        const absl::Duration left =
            std::max(a.start + TimeoutOf(a.job.notification) - absl::Now(), absl::Milliseconds(1));
        result = CurlPost(a.post, a.body, *a.http, left);
      }
      settle(a, *result);
      running.erase(it);
    }
    finished.clear();
    for (auto& [n, r] : reports) Report(n, r);
    reports.clear();
  }
}

}  // namespace vigil::notifier
