#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/clock/clock.h"

namespace vigil::notifier {

// Deadlines by key (the dispatcher's aggregation groups by id), earliest first, so that a
// loop wake-up costs O(log n) per due key instead of a walk over every group. A key has
// at most one deadline. Not thread-safe (the loop thread's).
class TimerQueue {
 public:
  // Sets the key's deadline, replacing the one it had.
  void Schedule(const std::string& key, TimestampMs at);
  void Cancel(const std::string& key);
  void Clear();
  // The earliest deadline; `none` when nothing is scheduled.
  TimestampMs Next(TimestampMs none) const;
  // Removes the keys due at `now` (deadline <= now) and returns them in key order, the
  // order the dispatcher has always flushed its groups in.
  std::vector<std::string> PopDue(TimestampMs now);
  size_t size() const { return at_.size(); }

 private:
  std::set<std::pair<TimestampMs, std::string>> by_time_;
  absl::flat_hash_map<std::string, TimestampMs> at_;
};

}  // namespace vigil::notifier
