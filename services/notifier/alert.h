#pragma once

#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "services/notifier/annotations.h"
#include "vigil/v1/alerts.pb.h"

namespace vigil::notifier {

// An alert as Alertmanager holds it (types.Alert): active from starts_at until ends_at.
// ends_at in the past means resolved; an alert not re-sent before its ends_at resolves
// by itself.
struct Alert {
  labels::Labels labels;
  Annotations annotations;  // empty values kept, as Alertmanager
  TimestampMs starts_at_ms = 0;
  TimestampMs ends_at_ms = 0;
  std::string generator_url;
  uint64_t fingerprint = 0;
  TimestampMs updated_at_ms = 0;  // event time of the newest event applied
  // ends_at_ms was not given and was set to receipt + resolve_timeout.
  bool timeout = false;

  bool Resolved(TimestampMs now) const { return ends_at_ms != 0 && ends_at_ms <= now; }
  std::string FingerprintHex() const;

  bool operator==(const Alert&) const = default;
};

// The alerts held, by fingerprint. Nodes, not slots: an Alert is large, and a table of
// tens of thousands moved every element at each doubling (≈ 5 % of the loop's CPU with
// many new groups).
using AlertsByFingerprint = absl::node_hash_map<uint64_t, Alert>;

// An active alert and the receivers its routes lead to, as Alertmanager's API lists it.
// "suppressed" when silenced or inhibited.
struct RoutedAlert {
  Alert alert;
  std::vector<std::string> receivers;
  std::vector<std::string> silenced_by;   // silence ids
  std::vector<std::string> inhibited_by;  // fingerprints of inhibiting alerts
};

// Turns a bus event into an alert. FIRING: ends at valid_until (or now + resolve_timeout
// when unset); INACTIVE: ends at resolved_at (or now). PENDING is not for the notifier
// (Prometheus never sends pending alerts) and is rejected with FailedPrecondition; bad
// events (no labels, no alertname, unknown state, fingerprint not matching the labels)
// are InvalidArgument.
absl::StatusOr<Alert> AlertFromEvent(const v1::AlertEvent& event, TimestampMs now,
                                     absl::Duration resolve_timeout);

// Alertmanager's Alert.Merge, in place: `newer` updates `*older` of the same fingerprint.
// Events older than what is held are ignored (idempotent, order-tolerant); an update of a
// still active alert keeps the earlier start (MergedStart). Only the fields that differ
// are copied: a re-sent, unchanged alert (the common case) allocates nothing.
void MergeAlertInto(Alert* older, const Alert& newer, TimestampMs now);
// The start the merge gives `newer` when it updates `older`.
TimestampMs MergedStart(const Alert& older, const Alert& newer, TimestampMs now);

}  // namespace vigil::notifier
