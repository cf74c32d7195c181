#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/notifier/http_client.h"
#include "services/notifier/notification.h"

namespace vigil::notifier {

// Turns a webhook payload into Alertmanager's postable alerts (POST /api/v2/alerts body):
// labels, annotations, startsAt, generatorURL, and endsAt for resolved alerts only — a
// firing alert without endsAt stays active downstream for its resolve_timeout.
std::string PostableAlerts(const std::string& webhook_body);

// Appends `body` and a newline to the file (creating it and its directory), then fsyncs
// it. Blocking.
SendResult AppendLine(const std::string& path, const std::string& body);

// The HTTP POST a notification makes (nullopt for a file receiver): a webhook POSTs its
// payload (Content-Type application/json, Idempotency-Key header) to its URL; an
// Alertmanager receiver forwards the payload's alerts to <url>/api/v2/alerts.
struct HttpPost {
  std::string url;
  std::string body;
  std::vector<std::string> headers;
  const HttpClientConfig* http;  // the integration's, or the defaults
};
std::optional<HttpPost> HttpPostOf(const Notification& n);

// Where the integration's POSTs go when PlainPost can send them (PlainHttpTargetFor on the
// URL and http_config HttpPostOf uses); nullopt for libcurl's and for a file receiver.
// Cheap: it builds no body.
std::optional<PlainHttpTarget> PlainHttpTargetOf(const Integration& integration);

// Sends through the notification's integration. Blocking: call from a delivery worker.
SendResult Send(const Notification& n, absl::Duration timeout);

}  // namespace vigil::notifier
