#include "services/notifier/dispatcher.h"

#include <algorithm>

#include "lib/base/format.h"
#include "services/notifier/payload.h"

namespace vigil::notifier {

namespace {

// Resolved alerts are kept this long for status and re-routing on reload.
constexpr TimestampMs kResolvedRetentionMs = 15 * 60 * 1000;
constexpr TimestampMs kGcIntervalMs = 60 * 1000;

}  // namespace

Dispatcher::Dispatcher(std::shared_ptr<const Config> config, std::string external_url)
    : config_(std::move(config)), external_url_(std::move(external_url)) {}

Dispatcher::IngestResult Dispatcher::OnAlerts(const v1::AlertBatch& batch, TimestampMs now) {
  IngestResult result;
  for (const v1::AlertEvent& event : batch.alerts()) {
    auto alert = AlertFromEvent(event, now, config_->resolve_timeout);
    if (!alert.ok()) {
      if (absl::IsFailedPrecondition(alert.status())) {
        ++result.ignored;
      } else {
        ++result.invalid;
        if (result.first_error.empty()) result.first_error = std::string(alert.status().message());
      }
      continue;
    }
    ++result.accepted;
    auto [it, inserted] = alerts_.try_emplace(alert->fingerprint, *alert);
    if (!inserted) {
      if (alert->updated_at_ms < it->second.updated_at_ms) continue;  // stale event
      it->second = MergeAlerts(it->second, *alert, now);
    }
    RouteAlert(it->second, now);
  }
  return result;
}

void Dispatcher::RouteAlert(const Alert& alert, TimestampMs now) {
  for (const Route* route : config_->route->Match(alert.labels)) {
    labels::Labels group_labels = route->GroupLabels(alert.labels);
    std::string id = route->id() + '\x1f' + group_labels.ToString();
    auto it = groups_.find(id);
    if (it == groups_.end()) {
      it = groups_.emplace(id, std::make_unique<AggregationGroup>(*route, group_labels, now)).first;
    }
    it->second->Insert(alert, now);
  }
}

std::vector<Notification> Dispatcher::Tick(TimestampMs now) {
  std::vector<Notification> out;
  for (auto it = groups_.begin(); it != groups_.end();) {
    AggregationGroup& group = *it->second;
    if (group.Due(now)) Flush(group, now, &out);
    it = group.empty() ? groups_.erase(it) : std::next(it);
  }
  if (now - last_gc_ms_ >= kGcIntervalMs) {
    last_gc_ms_ = now;
    nflog_.GC(now);
    for (auto it = alerts_.begin(); it != alerts_.end();) {
      const Alert& a = it->second;
      if (a.Resolved(now) && a.ends_at_ms + kResolvedRetentionMs < now) {
        alerts_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  return out;
}

void Dispatcher::Flush(AggregationGroup& group, TimestampMs now, std::vector<Notification>* out) {
  std::vector<Alert> alerts = group.Flush(now);
  const RouteOptions& opts = group.route().options();
  const Receiver* receiver = config_->FindReceiver(opts.receiver);
  FingerprintSet firing, resolved;
  for (const Alert& a : alerts) (a.Resolved(now) ? resolved : firing).insert(a.fingerprint);

  for (const Integration& integration : receiver->Integrations()) {
    const std::string log_key =
        NotificationLog::Key(group.key(), receiver->name, integration.Name());
    if (!NeedsUpdate(nflog_.Get(log_key), firing, resolved, integration.send_resolved,
                     opts.repeat_interval, now)) {
      continue;
    }
    // Alertmanager logs the notification once delivered; here it is logged when handed
    // to delivery, which retries until delivered or superseded by a newer one.
    nflog_.Set(log_key, LogEntry{firing, resolved, now});
    std::vector<Alert> sent;
    for (const Alert& a : alerts) {
      if (integration.send_resolved || !a.Resolved(now)) sent.push_back(a);
    }
    if (sent.empty()) continue;

    Notification n;
    n.id = next_id_++;
    n.receiver = receiver->name;
    n.integration = integration;
    n.group_key = group.key();
    n.sequence = ++sequences_[n.StreamKey()];
    n.status = GroupStatus(sent, now);
    for (const Alert& a : sent) n.fingerprints.push_back(a.FingerprintHex());
    n.body = WebhookMessage({.receiver = receiver->name,
                             .group_key = group.key(),
                             .group_labels = group.group_labels(),
                             .alerts = sent,
                             .external_url = external_url_,
                             .max_alerts = integration.max_alerts,
                             .now = now});
    n.created_ms = now;

    v1::Notification record;
    record.set_receiver(n.receiver);
    record.set_group_key(n.group_key);
    record.set_status(n.status);
    for (const std::string& fp : n.fingerprints) record.add_fingerprints(fp);
    record.set_sent_at_ms(now);
    history_.emplace_back(n.id, std::move(record));
    while (history_.size() > kHistorySize) history_.pop_front();
    out->push_back(std::move(n));
  }
  group.DeleteResolved(alerts, now);
}

TimestampMs Dispatcher::NextDeadline() const {
  TimestampMs next = kNever;
  for (const auto& [id, group] : groups_) next = std::min(next, group->next_flush_ms());
  return next;
}

v1::Notification* Dispatcher::FindHistory(uint64_t id) {
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->first == id) return &it->second;
  }
  return nullptr;
}

void Dispatcher::OnDeliveryResult(const DeliveryResult& result) {
  v1::Notification* record = FindHistory(result.id);
  if (record == nullptr) return;  // fell out of the history
  record->set_attempts(result.attempts);
  record->set_delivered(result.delivered);
  if (!result.error.empty()) record->set_last_error(result.error);
  if (result.superseded) record->set_last_error("superseded by a newer notification");
  // The integration is named in the problem; the history entry itself has no field for it.
  const std::string who = StrCat("receiver \"", record->receiver(), "\"");
  if (result.delivered) {
    failing_.erase(who);
  } else if (!result.superseded && !result.error.empty()) {
    failing_[who] = result.error;
  }
  if (!result.final) return;
  if (result.delivered) {
    ++sent_;
  } else if (!result.superseded) {
    ++failed_;
  }
}

void Dispatcher::ApplyConfig(std::shared_ptr<const Config> config, TimestampMs now) {
  config_ = std::move(config);
  groups_.clear();
  failing_.clear();
  // Resolved alerts too: their resolution may not have been notified yet; the log keeps
  // those already notified from being sent again.
  for (const auto& [fp, alert] : alerts_) RouteAlert(alert, now);
}

size_t Dispatcher::ActiveAlerts(TimestampMs now) const {
  size_t n = 0;
  for (const auto& [fp, a] : alerts_) n += a.Resolved(now) ? 0 : 1;
  return n;
}

std::vector<RoutedAlert> Dispatcher::ListAlerts(TimestampMs now) const {
  std::vector<RoutedAlert> out;
  for (const auto& [fp, a] : alerts_) {
    if (a.Resolved(now)) continue;
    RoutedAlert r{a, {}};
    for (const Route* route : config_->route->Match(a.labels)) {
      const std::string& name = route->options().receiver;
      if (std::find(r.receivers.begin(), r.receivers.end(), name) == r.receivers.end()) {
        r.receivers.push_back(name);
      }
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const RoutedAlert& a, const RoutedAlert& b) { return AlertLess(a.alert, b.alert); });
  return out;
}

std::vector<v1::Notification> Dispatcher::RecentNotifications(size_t limit) const {
  std::vector<v1::Notification> out;
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (limit > 0 && out.size() >= limit) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Dispatcher::Problems() const {
  std::vector<std::string> out;
  for (const auto& [who, error] : failing_) {
    out.push_back(StrCat(who, ": last delivery failed: ", error));
  }
  return out;
}

}  // namespace vigil::notifier
