#include "services/notifier/aggregation_group.h"

#include <algorithm>
#include <string>
#include <vector>

namespace vigil::notifier {

namespace {

// Alertmanager's text of a group's labels in its key (model.LabelSet.String): the
// `name="value"` items (Go's %q) sorted as strings, not by name, so `foo2="…"` comes
// before `foo="…"` ('2' < '=').
std::string GroupLabelsString(const labels::Labels& ls) {
  std::vector<std::string> items;
  for (const labels::LabelView& l : ls) {
    items.push_back(std::string(l.name) + "=" + labels::GoQuote(l.value));
  }
  std::sort(items.begin(), items.end());
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + "}";
}

}  // namespace

bool AlertLess(const Alert& a, const Alert& b) {
  for (std::string_view key : {"job", "instance"}) {
    const bool ha = a.labels.Has(key), hb = b.labels.Has(key);
    if (!ha && !hb) continue;
    if (!ha) return false;
    if (!hb) return true;
    if (a.labels.Get(key) != b.labels.Get(key)) return a.labels.Get(key) < b.labels.Get(key);
  }
  return a.labels < b.labels;
}

AggregationGroup::AggregationGroup(std::string id, const Route& route, labels::Labels group_labels,
                                   TimestampMs now)
    : id_(std::move(id)),
      route_(route),
      group_labels_(std::move(group_labels)),
      key_(route.key() + ":" + GroupLabelsString(group_labels_)),
      next_flush_ms_(now + absl::ToInt64Milliseconds(route.options().group_wait)) {}

void AggregationGroup::Insert(const Alert& alert, TimestampMs now) {
  auto [it, inserted] = alerts_.try_emplace(alert.fingerprint, alert);
  if (!inserted) MergeAlertInto(&it->second, alert, now);
  // The wait for this alert is already over: flush at once (before the first flush only).
  const TimestampMs wait_over =
      alert.starts_at_ms + absl::ToInt64Milliseconds(route_.options().group_wait);
  if (!has_flushed_ && wait_over < now) next_flush_ms_ = std::min(next_flush_ms_, now);
}

std::vector<Alert> AggregationGroup::Alerts() const {
  std::vector<Alert> out;
  out.reserve(alerts_.size());
  for (const auto& [fp, a] : alerts_) out.push_back(a);
  std::sort(out.begin(), out.end(), AlertLess);
  return out;
}

std::vector<Alert> AggregationGroup::Flush(TimestampMs now) {
  std::vector<Alert> out = Alerts();
  has_flushed_ = true;
  next_flush_ms_ = now + absl::ToInt64Milliseconds(route_.options().group_interval);
  return out;
}

void AggregationGroup::DeleteResolved(const std::vector<Alert>& flushed, TimestampMs now) {
  for (const Alert& a : flushed) {
    if (!a.Resolved(now)) continue;
    auto it = alerts_.find(a.fingerprint);
    if (it != alerts_.end() && it->second == a) alerts_.erase(it);
  }
}

}  // namespace vigil::notifier
