// Label-set helpers of the evaluator: dropping the metric name, keeping or dropping
// grouping labels, and the string keys label sets are matched and grouped by.

#include <string>
#include <unordered_set>

#include "lib/promql/engine_internal.h"

namespace vigil::promql::internal {

labels::Labels DropName(const labels::Labels& l) { return l.Without(labels::kMetricName); }

labels::Labels Filter(const labels::Labels& l, const Grouping& g) {
  std::vector<labels::LabelView> out;
  for (const labels::LabelView& lb : l) {
    if (g.Keeps(lb.name)) out.push_back(lb);
  }
  return labels::Labels::FromSorted(out.begin(), out.end());
}

labels::Labels Keep(const labels::Labels& l, const std::vector<std::string>& names) {
  return Filter(l, Grouping{names, true, false});
}

labels::Labels Drop(const labels::Labels& l, const std::vector<std::string>& names,
                    bool drop_name) {
  return Filter(l, Grouping{names, false, drop_name});
}

void AppendKey(const labels::LabelView& lb, std::string* k) {
  *k += lb.name;
  *k += '\xff';
  *k += lb.value;
  *k += '\xff';
}

std::string Key(const labels::Labels& l) {
  std::string k;
  for (const auto& lb : l) AppendKey(lb, &k);
  return k;
}

// Appends Key(Filter(l, g)) to *k without building the label set.
void AppendKey(const labels::Labels& l, const Grouping& g, std::string* k) {
  for (const auto& lb : l) {
    if (g.Keeps(lb.name)) AppendKey(lb, k);
  }
}

void CheckNoDuplicates(const Vector& v) {
  std::unordered_set<std::string> seen;
  for (const Sample& s : v) {
    if (!seen.insert(Key(s.metric)).second)
      Fail("vector cannot contain metrics with the same labelset");
  }
}

}  // namespace vigil::promql::internal
