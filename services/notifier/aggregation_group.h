#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "services/notifier/alert.h"
#include "services/notifier/route.h"

namespace vigil::notifier {

// The alerts of one route that share the values of the route's group_by labels
// (Alertmanager's aggrGroup), and the group's timer: the first flush group_wait after the
// group was created (at once if an alert already started longer ago than that), then one
// every group_interval. Loop thread only; `route` must outlive the group.
class AggregationGroup {
 public:
  // `id` names the group in the dispatcher (its route's id and the group labels).
  AggregationGroup(std::string id, const Route& route, labels::Labels group_labels,
                   TimestampMs now);
  const std::string& id() const { return id_; }

  // Alertmanager's group key: `<route key>:<group labels>`, e.g. `{}:{alertname="X"}`.
  const std::string& key() const { return key_; }
  const Route& route() const { return route_; }
  const labels::Labels& group_labels() const { return group_labels_; }
  TimestampMs next_flush_ms() const { return next_flush_ms_; }
  bool empty() const { return alerts_.empty(); }
  size_t size() const { return alerts_.size(); }

  // Adds or updates an alert (merging with the one held).
  void Insert(const Alert& alert, TimestampMs now);

  // The alerts held, in notification order.
  std::vector<Alert> Alerts() const;

  // The alerts to notify, in Alertmanager's order (job, instance, then labels), and
  // schedules the next flush group_interval after `now`.
  std::vector<Alert> Flush(TimestampMs now);
  // After a flush: drops the flushed alerts that were resolved and have not changed since,
  // so a resolved alert is notified once.
  void DeleteResolved(const std::vector<Alert>& flushed, TimestampMs now);

 private:
  std::string id_;
  const Route& route_;
  labels::Labels group_labels_;
  std::string key_;
  absl::flat_hash_map<uint64_t, Alert> alerts_;
  TimestampMs next_flush_ms_;
  bool has_flushed_ = false;
};

// Alertmanager's AlertSlice order: by job, then instance, then the whole label set.
bool AlertLess(const Alert& a, const Alert& b);

}  // namespace vigil::notifier
