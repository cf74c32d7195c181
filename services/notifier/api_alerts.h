#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/matcher.h"
#include "services/notifier/alert.h"
#include "vigil/v1/alerts.pb.h"

namespace vigil::notifier {

// Alertmanager's API answers byte for byte, strings escaped as it escapes them: its
// go-openapi server writes them with a json.Encoder with HTML escaping off (<, >, & as they
// are), but a gettable alert or silence marshals itself with json.Marshal, HTML escaped
// (\u003c, \u003e, \u0026); both escape control bytes, U+2028, U+2029 and invalid UTF-8.
// The encoder's newline at the end is the caller's.

// The body of Alertmanager's `GET /api/v2/alerts` (gettable alerts): labels, annotations,
// startsAt, endsAt, updatedAt, generatorURL, fingerprint, receivers and status
// {state: "active" or "suppressed", silencedBy, inhibitedBy}.
std::string GettableAlertsJson(const std::vector<RoutedAlert>& alerts);

// The query parameters of `GET /api/v2/alerts` and `/api/v2/alerts/groups`: active,
// silenced, inhibited (default true), filter (matchers, repeated), receiver (regex).
struct AlertFilter {
  bool active = true;
  bool silenced = true;
  bool inhibited = true;
  std::vector<labels::Matcher> matchers;
  std::string receiver_regex;  // empty: any

  bool Keep(const RoutedAlert& a) const;
};
// `params` as (name, value) pairs; InvalidArgument naming a bad parameter.
absl::StatusOr<AlertFilter> ParseAlertFilter(
    const std::vector<std::pair<std::string, std::string>>& params);

// Alertmanager's alert group: {alerts: [gettable alert], labels, receiver: {name}}.
struct AlertGroupView {
  labels::Labels labels;
  std::string receiver;
  std::vector<RoutedAlert> alerts;
};
std::string AlertGroupsJson(const std::vector<AlertGroupView>& groups);

// `GET /api/v2/receivers`: [{name}].
std::string ReceiversJson(const std::vector<std::string>& names);

// `GET /api/v2/status`: cluster (disabled: vigil runs no gossip cluster), versionInfo,
// config.original, uptime.
std::string StatusJson(const std::string& config_original, TimestampMs started_ms);

// Alertmanager's error body: a JSON string.
std::string ErrorJson(const std::string& message);

// The 422 body for a `silenceID` path parameter (GET and DELETE /api/v2/silence/{id})
// that is not of the swagger's format uuid: go-openapi's strfmt checks
// `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$`. Empty for a valid
// one. Alertmanager does not check a posted silence's `id` (unknown, it is "not found").
std::string SilenceIdParamError(std::string_view id);

}  // namespace vigil::notifier
