#pragma once

#include <string>

#include "absl/time/time.h"
#include "services/notifier/notification.h"

namespace vigil::notifier {

// The outcome of one delivery attempt.
struct SendResult {
  bool ok = false;
  bool retry = false;  // worth trying again (network error, 5xx, 429, file I/O error)
  std::string error;
};

// POSTs the webhook payload (Content-Type application/json, Idempotency-Key header) with
// libcurl. Blocking: call from the delivery worker, never from the loop thread.
SendResult SendWebhook(const std::string& url, const std::string& body,
                       const std::string& idempotency_key, absl::Duration timeout);

// Appends `body` and a newline to the file (creating it and its directory), then fsyncs
// it. Blocking.
SendResult AppendLine(const std::string& path, const std::string& body);

// Sends through the notification's integration.
SendResult Send(const Notification& n, absl::Duration timeout);

}  // namespace vigil::notifier
