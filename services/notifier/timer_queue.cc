#include "services/notifier/timer_queue.h"

#include <algorithm>

namespace vigil::notifier {

void TimerQueue::Schedule(const std::string& key, TimestampMs at) {
  auto [it, inserted] = at_.try_emplace(key, at);
  if (!inserted) {
    if (it->second == at) return;
    by_time_.erase({it->second, key});
    it->second = at;
  }
  by_time_.emplace(at, key);
}

void TimerQueue::Cancel(const std::string& key) {
  auto it = at_.find(key);
  if (it == at_.end()) return;
  by_time_.erase({it->second, key});
  at_.erase(it);
}

void TimerQueue::Clear() {
  by_time_.clear();
  at_.clear();
}

TimestampMs TimerQueue::Next(TimestampMs none) const {
  return by_time_.empty() ? none : by_time_.begin()->first;
}

std::vector<std::string> TimerQueue::PopDue(TimestampMs now) {
  std::vector<std::string> due;
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    auto node = by_time_.extract(by_time_.begin());
    at_.erase(node.value().second);
    due.push_back(std::move(node.value().second));
  }
  std::sort(due.begin(), due.end());
  return due;
}

}  // namespace vigil::notifier
