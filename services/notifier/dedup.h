#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"

namespace vigil::notifier {

using FingerprintSet = absl::flat_hash_set<uint64_t>;

// What was last notified for one (group, receiver integration): Alertmanager's nflog entry.
struct LogEntry {
  FingerprintSet firing;
  FingerprintSet resolved;
  TimestampMs timestamp_ms = 0;
  uint64_t sequence = 0;  // of the notification this entry records (see Notification)
};

// Alertmanager's DedupStage.needsUpdate: notify when something newly fires, when every
// alert resolved after some were notified as firing, when (with send_resolved) something
// newly resolved, or when repeat_interval passed since the last notification.
bool NeedsUpdate(const LogEntry* entry, const FingerprintSet& firing,
                 const FingerprintSet& resolved, bool send_resolved, absl::Duration repeat,
                 TimestampMs now);

// The notification log (Alertmanager's nflog) in memory: what each (group key, receiver,
// integration) was last told. Entries expire after `retention`. The Dispatcher persists
// the delivered entries through its Store. Loop thread only.
class NotificationLog {
 public:
  explicit NotificationLog(absl::Duration retention = absl::Hours(120)) : retention_(retention) {}

  static std::string Key(const std::string& group_key, const std::string& receiver,
                         const std::string& integration) {
    return group_key + '\x1f' + receiver + '\x1f' + integration;
  }

  const LogEntry* Get(const std::string& key) const;
  void Set(const std::string& key, LogEntry entry) { entries_[key] = std::move(entry); }
  void Erase(const std::string& key) { entries_.erase(key); }
  // Drops entries older than the retention.
  void GC(TimestampMs now);
  size_t size() const { return entries_.size(); }
  const absl::node_hash_map<std::string, LogEntry>& entries() const { return entries_; }

 private:
  absl::Duration retention_;
  // Nodes, not slots (a LogEntry and its key are ≈ 130 bytes): with tens of thousands of
  // streams, moving every entry at each doubling was ≈ a tenth of the loop's CPU.
  absl::node_hash_map<std::string, LogEntry> entries_;
};

}  // namespace vigil::notifier
