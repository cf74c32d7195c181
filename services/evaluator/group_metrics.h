#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/rules/group.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vigil::evaluator {

// The per-rule-group metrics Prometheus keeps (rules/group.go), by
// rule_group="<file>;<name>": the last evaluation's duration, and the iterations missed
// (slots the timer skipped because it came more than an interval late). As Prometheus, a reload
// that removes a group removes its series (the gauge would otherwise report a group that no longer
// runs). Loop thread only.
class GroupMetrics {
 public:
  explicit GroupMetrics(prometheus::Registry& registry);
  GroupMetrics(const GroupMetrics&) = delete;
  GroupMetrics& operator=(const GroupMetrics&) = delete;

  void ObserveDuration(const rules::Group& group, double seconds);
  void AddMissedIterations(const rules::Group& group, int64_t missed);
  // Adds the series of every group in `groups` and drops those of every group not in it
  // (call after the first load and after each reload).
  void Retain(const std::vector<std::unique_ptr<rules::Group>>& groups);

 private:
  struct Series {
    prometheus::Gauge* last_duration;
    prometheus::Counter* iterations_missed;
  };
  static std::string Key(const rules::Group& group);
  // The group's series, added at its first use.
  Series& For(const rules::Group& group);

  prometheus::Family<prometheus::Gauge>& last_duration_;
  prometheus::Family<prometheus::Counter>& iterations_missed_;
  absl::flat_hash_map<std::string, Series> by_group_;
};

}  // namespace vigil::evaluator
