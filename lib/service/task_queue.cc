#include "lib/service/task_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace vigil::service {

TaskQueue::TaskQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) std::abort();  // out of file descriptors at start-up: nothing sensible to do
}

TaskQueue::~TaskQueue() { close(fd_); }

void TaskQueue::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  const bool was_empty = tasks_.empty();
  tasks_.push_back(std::move(task));
  // Only the first task of a batch wakes the loop: the others are taken with it. No wake
  // is lost, because RunAll clears the eventfd before it takes the batch, so a task that
  // finds the queue empty again has its own write still to come. Written under the lock,
  // so that the tasks queued behind the first never wait for its poster to be scheduled.
  if (!was_empty) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

void TaskQueue::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

void TaskQueue::RunAll() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(fd_, &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(tasks_);
  }
  for (auto& task : batch) task();
}

}  // namespace vigil::service
