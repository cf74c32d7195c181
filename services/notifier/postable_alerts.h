#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "services/notifier/alert.h"

namespace vigil::notifier {

// What a body of Alertmanager's `POST /api/v2/alerts` holds, judged as Alertmanager 0.25
// judges it: the valid alerts are taken even when others are not (its "best effort").
struct PostedAlerts {
  std::vector<Alert> alerts;  // the valid ones
  // Alertmanager's validation errors of the others, in order, joined by "; " (its
  // MultiError): answered 400 as a bare JSON string once the valid ones are taken. Per
  // alert, the first of: "start time must be before end time", "invalid label set:
  // invalid name \"x\"", "at least one label pair required" (after empty label values are
  // dropped), "invalid annotations: invalid name \"x\"".
  std::string invalid;
};

// Parses the body of Alertmanager's `POST /api/v2/alerts`: a JSON array of
// {labels, annotations, startsAt, endsAt, generatorURL} (other fields ignored, keys matched
// as Go matches them), straight into alerts — no JSON tree, no bus message in between:
// this is the notifier's hottest input. Strings decode as Go's (ReadJson). Each alert is
// updated at `now`; a missing startsAt means endsAt if there is one, else `now` (as
// Alertmanager); ends_at_ms is 0 when endsAt is missing (the dispatcher then applies
// resolve_timeout, see Dispatcher::OnPostedAlerts), and an endsAt that has passed
// resolves the alert.
// A body refused whole, nothing taken (not even its valid alerts), as go-openapi refuses
// it before Alertmanager's handler runs: InvalidArgument when it does not decode (not
// JSON, not an array of objects, a value of the wrong type, a bad time; the message is
// vigil's, naming the alert's index); else, for the first alert (in the body's order)
// that fails go-openapi's validation, OutOfRange when its generatorURL is neither empty
// nor a URI (GoParsesRequestUri; the message is go-openapi's "0.generatorURL in body must
// be of type uri: \"...\"", the value quoted as Go's %q), checked before
// FailedPrecondition when it has no labels (null or missing; the message is go-openapi's
// "0.labels in body is required"). PostableAlertsRefusal answers them.
absl::StatusOr<PostedAlerts> ParsePostableAlerts(std::string_view body, TimestampMs now);

// The HTTP status and go-openapi's body ({"code","message"}, no newline) for a refusal of
// ParsePostableAlerts: 400 {"code":400,"message":"parsing alerts body from \"\" failed,
// because ..."} when it does not decode, 422 {"code":601,...} for a value not of its
// format, 422 {"code":602,...} for a required value.
std::pair<int, std::string> PostableAlertsRefusal(const absl::Status& refusal);

// Whether Go's url.ParseRequestURI (Go 1.19's net/url, which Debian's Alertmanager 0.25
// is built with) accepts `s`: go-openapi's "uri" format (strfmt's isRequestURI), which
// Alertmanager's spec gives generatorURL. Only whether it fails, not how: see the
// definition for Go's rules.
bool GoParsesRequestUri(std::string_view s);

}  // namespace vigil::notifier
