#pragma once

#include <string>

#include "absl/time/time.h"
#include "services/notifier/http_client.h"
#include "services/notifier/notification.h"

namespace vigil::notifier {

// POSTs the webhook payload (Content-Type application/json, Idempotency-Key header) under
// the integration's http_config. Blocking: call from a delivery worker.
SendResult SendWebhook(const std::string& url, const std::string& body,
                       const std::string& idempotency_key, const HttpClientConfig& http,
                       absl::Duration timeout);

// Turns a webhook payload into Alertmanager's postable alerts (POST /api/v2/alerts body):
// labels, annotations, startsAt, generatorURL, and endsAt for resolved alerts only — a
// firing alert without endsAt stays active downstream for its resolve_timeout.
std::string PostableAlerts(const std::string& webhook_body);

// Forwards the payload's alerts to the Alertmanager at `base_url` (POST
// <base_url>/api/v2/alerts). Blocking.
SendResult SendToAlertmanager(const std::string& base_url, const std::string& webhook_body,
                              const std::string& idempotency_key, const HttpClientConfig& http,
                              absl::Duration timeout);

// Appends `body` and a newline to the file (creating it and its directory), then fsyncs
// it. Blocking.
SendResult AppendLine(const std::string& path, const std::string& body);

// Sends through the notification's integration.
SendResult Send(const Notification& n, absl::Duration timeout);

}  // namespace vigil::notifier
