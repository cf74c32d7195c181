#pragma once

#include <algorithm>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/clock/clock.h"

namespace vigil::notifier {

// Deadlines by key (the dispatcher's aggregation groups), earliest first, so that a loop
// wake-up costs O(log n) per due key instead of a walk over every group. A key has at most
// one deadline. Keys are copied, so they should be small (the dispatcher's are pointers to
// its groups); `Less` orders the keys that fall due together. Not thread-safe (the loop
// thread's).
template <typename Key, typename Less = std::less<Key>>
class TimerQueue {
 public:
  // Sets the key's deadline, replacing the one it had.
  void Schedule(const Key& key, TimestampMs at) {
    auto [it, inserted] = at_.try_emplace(key, at);
    if (!inserted) {
      if (it->second == at) return;
      by_time_.erase({it->second, key});
      it->second = at;
    }
    by_time_.emplace(at, key);
  }
  void Cancel(const Key& key) {
    auto it = at_.find(key);
    if (it == at_.end()) return;
    by_time_.erase({it->second, key});
    at_.erase(it);
  }
  void Clear() {
    by_time_.clear();
    at_.clear();
  }
  // The earliest deadline; `none` when nothing is scheduled.
  TimestampMs Next(TimestampMs none) const {
    return by_time_.empty() ? none : by_time_.begin()->first;
  }
  // Removes the keys due at `now` (deadline <= now) and returns them in `Less` order (for
  // the dispatcher, its groups' ids: the order it has always flushed them in).
  std::vector<Key> PopDue(TimestampMs now) {
    std::vector<Key> due;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
      auto node = by_time_.extract(by_time_.begin());
      at_.erase(node.value().second);
      due.push_back(std::move(node.value().second));
    }
    std::sort(due.begin(), due.end(), Less());
    return due;
  }
  size_t size() const { return at_.size(); }

 private:
  std::set<std::pair<TimestampMs, Key>> by_time_;
  absl::flat_hash_map<Key, TimestampMs> at_;
};

}  // namespace vigil::notifier
