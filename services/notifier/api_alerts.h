#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "services/notifier/alert.h"
#include "vigil/v1/alerts.pb.h"

namespace vigil::notifier {

// Parses the body of Alertmanager's `POST /api/v2/alerts`: a JSON array of
// {labels, annotations, startsAt, endsAt, generatorURL}, into the bus form so that API and
// bus alerts share one path. An alert whose endsAt has passed is resolved (INACTIVE);
// otherwise FIRING until endsAt (unset: the core applies resolve_timeout). A missing
// startsAt means `now`. Errors (bad JSON, no labels, bad label names, bad times, endsAt
// before startsAt) are InvalidArgument naming the alert's index.
absl::StatusOr<v1::AlertBatch> ParsePostableAlerts(const std::string& body, TimestampMs now);

// The body of Alertmanager's `GET /api/v2/alerts` (gettable alerts): labels, annotations,
// startsAt, endsAt, updatedAt, generatorURL, fingerprint, receivers and status
// {state: "active", silencedBy: [], inhibitedBy: []} (silences and inhibition come later).
std::string GettableAlertsJson(const std::vector<RoutedAlert>& alerts);

}  // namespace vigil::notifier
