#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "services/notifier/alert.h"

namespace vigil::notifier {

// Parses the body of Alertmanager's `POST /api/v2/alerts`: a JSON array of
// {labels, annotations, startsAt, endsAt, generatorURL} (other fields ignored), straight
// into alerts — no JSON tree, no bus message in between: this is the notifier's hottest
// input. Strings decode as Go's (ReadJson). Each alert is updated at `now`; a missing startsAt means `now`; ends_at_ms is 0
// when endsAt is missing (the dispatcher then applies resolve_timeout, see
// Dispatcher::OnPostedAlerts), and an endsAt that has passed resolves the alert.
// Errors (bad JSON, not an array, no labels, bad label names, non-string values, bad
// times, endsAt before startsAt) are InvalidArgument naming the alert's index; one bad
// alert rejects the body, as Alertmanager does.
absl::StatusOr<std::vector<Alert>> ParsePostableAlerts(std::string_view body, TimestampMs now);

}  // namespace vigil::notifier
