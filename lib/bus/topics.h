#pragma once

#include <string_view>

namespace vigil::bus {

// Bus topics. ZeroMQ subscriptions match by prefix, so "samples" also receives
// "samples.recorded".
inline constexpr std::string_view kTopicSamples = "samples";
inline constexpr std::string_view kTopicRecordedSamples = "samples.recorded";
inline constexpr std::string_view kTopicAlerts = "alerts";
// Acknowledgements made at a notifier (who is handling an alert or group), for the
// reporter's record of the rollout.
inline constexpr std::string_view kTopicAcknowledgements = "acknowledgements";
// Reserved for the notifier's shared notification log and the reporter's rollout decisions.
inline constexpr std::string_view kTopicNotifications = "notifications";
inline constexpr std::string_view kTopicDecisions = "decisions";
// The notifier replicas' shared notification log and heartbeats (HA). Deliberately not
// prefixed "notifications": subscribers of delivered notifications must not receive it.
inline constexpr std::string_view kTopicNotificationLog = "nflog";

}  // namespace vigil::bus
