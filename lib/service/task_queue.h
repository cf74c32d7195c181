#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <optional>

#include "absl/synchronization/mutex.h"

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

  // Runs `fn` on the loop thread and waits for its result, at most `timeout`; nullopt if
  // the loop did not get to it in time (the task still runs later; its result is dropped).
  template <typename Fn>
  auto Call(Fn fn, std::chrono::milliseconds timeout) -> std::optional<decltype(fn())> {
    using R = decltype(fn());
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> future = promise->get_future();
    Post([promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); });
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }

 private:
  int fd_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service
