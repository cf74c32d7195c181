#include "services/evaluator/group_metrics.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace vigil::evaluator {

GroupMetrics::GroupMetrics(prometheus::Registry& registry)
    : last_duration_(prometheus::BuildGauge()
                         .Name("vigil_evaluator_rule_group_last_duration_seconds")
                         .Help("The duration of the last rule group evaluation.")
                         .Register(registry)),
      iterations_missed_(prometheus::BuildCounter()
                             .Name("vigil_evaluator_rule_group_iterations_missed_total")
                             .Help("The number of rule group evaluations missed due to slow "
                                   "rule group evaluation.")
                             .Register(registry)) {}

std::string GroupMetrics::Key(const rules::Group& group) {
  return absl::StrCat(group.file(), ";", group.name());
}

GroupMetrics::Series& GroupMetrics::For(const rules::Group& group) {
  const std::string key = Key(group);
  auto [it, fresh] = by_group_.try_emplace(key, Series{});
  if (fresh) {
    it->second = Series{&last_duration_.Add({{"rule_group", key}}),
                        &iterations_missed_.Add({{"rule_group", key}})};
  }
  return it->second;
}

void GroupMetrics::ObserveDuration(const rules::Group& group, double seconds) {
  For(group).last_duration->Set(seconds);
}

void GroupMetrics::AddMissedIterations(const rules::Group& group, int64_t missed) {
  For(group).iterations_missed->Increment(static_cast<double>(missed));
}

void GroupMetrics::Retain(const std::vector<std::unique_ptr<rules::Group>>& groups) {
  absl::flat_hash_set<std::string> kept;
  for (const auto& g : groups) {
    kept.insert(Key(*g));
    For(*g);  // as Prometheus, a group's series exist from its creation on
  }
  for (auto it = by_group_.begin(); it != by_group_.end();) {
    if (kept.contains(it->first)) {
      ++it;
      continue;
    }
    last_duration_.Remove(it->second.last_duration);
    iterations_missed_.Remove(it->second.iterations_missed);
    by_group_.erase(it++);
  }
}

}  // namespace vigil::evaluator
