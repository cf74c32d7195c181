#pragma once

#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "services/notifier/alert.h"

namespace vigil::notifier {

// What one notification says (Alertmanager's template.Data plus the webhook envelope).
struct MessageData {
  std::string receiver;
  std::string group_key;
  labels::Labels group_labels;
  std::vector<Alert> alerts;  // in notification order
  std::string external_url;
  int64_t max_alerts = 0;  // 0: all
  TimestampMs now = 0;     // decides each alert's status
};

// Alertmanager's webhook payload, version "4": {receiver, status, alerts[], groupLabels,
// commonLabels, commonAnnotations, externalURL, version, groupKey, truncatedAlerts}, with
// Go's field order and time format. A firing alert's endsAt is Go's zero time, as
// Alertmanager hides end times not reached yet. Alerts beyond max_alerts are cut and
// counted in truncatedAlerts.
std::string WebhookMessage(const MessageData& data);

// "firing" when any alert is firing at `now`, else "resolved".
std::string GroupStatus(const std::vector<Alert>& alerts, TimestampMs now);

}  // namespace vigil::notifier
