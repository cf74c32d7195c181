#include "services/notifier/alert.h"

#include <algorithm>

#include "lib/base/format.h"
#include "lib/base/hex.h"

namespace vigil::notifier {

namespace {

std::vector<labels::Label> FromProto(const google::protobuf::RepeatedPtrField<v1::Label>& in) {
  std::vector<labels::Label> out;
  out.reserve(in.size());
  for (const v1::Label& l : in) out.push_back({l.name(), l.value()});
  return out;
}

}  // namespace

std::string Alert::FingerprintHex() const { return Hex16(fingerprint); }

absl::StatusOr<Alert> AlertFromEvent(const v1::AlertEvent& event, TimestampMs now,
                                     absl::Duration resolve_timeout) {
  Alert a;
  a.labels = labels::Labels(FromProto(event.labels()));
  if (a.labels.empty()) return absl::InvalidArgumentError("alert has no labels");
  a.fingerprint = a.labels.Fingerprint();
  if (!event.fingerprint().empty() && event.fingerprint() != a.FingerprintHex()) {
    return absl::InvalidArgumentError(StrCat("fingerprint ", event.fingerprint(),
                                             " does not match labels ", a.labels.ToString()));
  }
  a.annotations = Annotations(FromProto(event.annotations()));
  a.generator_url = event.generator_url();
  a.updated_at_ms = event.event_time_ms() > 0 ? event.event_time_ms() : now;
  a.starts_at_ms = event.fired_at_ms() > 0 ? event.fired_at_ms() : event.active_at_ms();
  switch (event.state()) {
    case v1::ALERT_STATE_FIRING:
      a.ends_at_ms = event.valid_until_ms();
      if (a.ends_at_ms == 0) {
        a.ends_at_ms = now + absl::ToInt64Milliseconds(resolve_timeout);
        a.timeout = true;
      }
      break;
    case v1::ALERT_STATE_INACTIVE:
      a.ends_at_ms = event.resolved_at_ms() > 0 ? event.resolved_at_ms() : now;
      break;
    case v1::ALERT_STATE_PENDING:
      return absl::FailedPreconditionError("pending alerts are not notified");
    default:
      return absl::InvalidArgumentError(StrCat("alert has unknown state ", event.state()));
  }
  if (a.starts_at_ms == 0) a.starts_at_ms = std::min(now, a.ends_at_ms);
  if (a.ends_at_ms < a.starts_at_ms) {
    return absl::InvalidArgumentError("alert ends before it starts");
  }
  return a;
}

TimestampMs MergedStart(const Alert& older, const Alert& newer, TimestampMs now) {
  // A re-send of an alert still active keeps its original start (Alertmanager Merge).
  if (!older.Resolved(now) && older.starts_at_ms != 0 && older.starts_at_ms < newer.starts_at_ms) {
    return older.starts_at_ms;
  }
  return newer.starts_at_ms;
}

void MergeAlertInto(Alert* older, const Alert& newer, TimestampMs now) {
  if (newer.updated_at_ms < older->updated_at_ms) return;
  older->starts_at_ms = MergedStart(*older, newer, now);
  // Equal labels for an equal fingerprint, unless the hash collides.
  if (older->labels != newer.labels) older->labels = newer.labels;
  if (older->annotations != newer.annotations) older->annotations = newer.annotations;
  if (older->generator_url != newer.generator_url) older->generator_url = newer.generator_url;
  older->ends_at_ms = newer.ends_at_ms;
  older->fingerprint = newer.fingerprint;
  older->updated_at_ms = newer.updated_at_ms;
  older->timeout = newer.timeout;
}

}  // namespace vigil::notifier
