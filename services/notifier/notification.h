#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "services/notifier/receiver.h"

namespace vigil::notifier {

// One message to deliver to one receiver integration: what the dispatcher hands the
// delivery worker.
struct Notification {
  uint64_t id = 0;  // unique within the process
  std::string receiver;
  Integration integration;
  std::string group_key;
  // Counts notifications of the same stream (group, receiver, integration) from 1.
  uint64_t sequence = 0;
  std::string status;                     // "firing" or "resolved"
  std::vector<std::string> fingerprints;  // of the alerts in the body, hex
  std::string body;                       // webhook payload JSON
  TimestampMs created_ms = 0;

  // A newer notification of the same stream supersedes an undelivered older one.
  std::string StreamKey() const {
    return group_key + '\x1f' + receiver + '\x1f' + integration.Name();
  }
  // Header "Idempotency-Key" of webhook requests.
  std::string IdempotencyKey() const { return group_key + "/" + std::to_string(sequence); }
};

// What became of a notification, reported by the delivery worker after each failed
// attempt (final = false) and once at the end (final = true).
struct DeliveryResult {
  uint64_t id = 0;
  bool final = false;
  bool delivered = false;
  bool superseded = false;
  uint32_t attempts = 0;
  std::string error;  // of the last failed attempt
};

}  // namespace vigil::notifier
