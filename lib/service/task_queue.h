#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vigil::service {

// Hands work to the loop thread that owns a service's state. Any thread may Post; the
// loop polls fd() (an eventfd, readable while work waits) and calls RunAll().
class TaskQueue {
 public:
  TaskQueue();
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void Post(std::function<void()> task);
  // Runs every task posted so far, in order. Loop thread only.
  void RunAll();
  int fd() const { return fd_; }

  // The loop is stopping (Runtime::RequestStop): Call returns nullopt from now on, at once,
  // and so do the Calls waiting. Post and RunAll work as before.
  void Stop();

  // Runs `fn` on the loop thread and waits for its result, at most `timeout`; nullopt if
  // the loop did not get to it in time or is stopping (the task may still run later; its
  // result is dropped). Not posted at all once stopping.
  template <typename Fn>
  auto Call(Fn fn, std::chrono::milliseconds timeout) -> std::optional<decltype(fn())> {
    using R = decltype(fn());
    auto result = std::make_shared<std::optional<R>>();  // guarded by mu_
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return std::nullopt;
    }
    Post([this, result, fn = std::move(fn)]() mutable {
      R r = fn();
      absl::MutexLock lock(&mu_);
      result->emplace(std::move(r));
    });
    absl::MutexLock lock(&mu_);
    auto over = [this, &result]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return result->has_value() || stopped_; };
    mu_.AwaitWithTimeout(absl::Condition(&over), absl::FromChrono(timeout));
    if (!result->has_value()) return std::nullopt;
    return std::move(**result);
  }

 private:
  int fd_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vigil::service
