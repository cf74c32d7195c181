#include "services/notifier/dedup.h"

#include "absl/container/flat_hash_set.h"

namespace vigil::notifier {

namespace {

bool IsSubset(const FingerprintSet& subset, const FingerprintSet& set) {
  for (uint64_t fp : subset) {
    if (!set.contains(fp)) return false;
  }
  return true;
}

}  // namespace

bool NeedsUpdate(const LogEntry* entry, const FingerprintSet& firing,
                 const FingerprintSet& resolved, bool send_resolved, absl::Duration repeat,
                 TimestampMs now) {
  // Never notified: only worth it when something fires.
  if (entry == nullptr) return !firing.empty();
  if (!IsSubset(firing, entry->firing)) return true;
  // Everything resolved: tell the receiver if it was told about firing alerts (this also
  // clears them from the log, whatever send_resolved says).
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved && !IsSubset(resolved, entry->resolved)) return true;
  return entry->timestamp_ms + absl::ToInt64Milliseconds(repeat) < now;
}

const LogEntry* NotificationLog::Get(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void NotificationLog::GC(TimestampMs now) {
  const TimestampMs cutoff = now - absl::ToInt64Milliseconds(retention_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.timestamp_ms < cutoff) {
      entries_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace vigil::notifier
