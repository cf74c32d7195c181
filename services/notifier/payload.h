#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "services/notifier/alert.h"

namespace vigil::notifier {

// What one notification says (Alertmanager's template.Data plus the webhook envelope).
// Views: the caller keeps what they point at until WebhookMessage returns.
struct MessageData {
  std::string_view receiver;
  std::string_view group_key;
  const labels::Labels* group_labels = nullptr;  // null: none
  std::span<const Alert> alerts;                 // in notification order
  std::string_view external_url;
  int64_t max_alerts = 0;  // 0: all
  TimestampMs now = 0;     // decides each alert's status
};

// Alertmanager's webhook payload, version "4", byte for byte: {receiver, status, alerts[],
// groupLabels, commonLabels, commonAnnotations, externalURL, version, groupKey,
// truncatedAlerts} in Go's field order, Go's string escaping (AppendGoJsonString) and time
// format, label maps sorted by name, the receiver's name through regexp.QuoteMeta, and the
// newline json.Encoder ends with. A firing alert's endsAt is Go's zero time, as
// Alertmanager hides end times not reached yet. Alerts beyond max_alerts are cut and
// counted in truncatedAlerts.
std::string WebhookMessage(const MessageData& data);

// "firing" when any alert is firing at `now`, else "resolved".
std::string GroupStatus(std::span<const Alert> alerts, TimestampMs now);

}  // namespace vigil::notifier
