#pragma once

#include <string>

#include "services/notifier/cluster.pb.h"
#include "services/notifier/dedup.h"

namespace vigil::notifier {

// Conversions between the notification log and its bus messages (cluster.proto), which
// the replicas of an HA pair exchange on the "nflog" topic.
cluster::NotificationLogEvent LogEvent(cluster::NotificationLogEvent::Kind kind, int position,
                                       const std::string& stream_key, const LogEntry& entry);
LogEntry EntryFromEvent(const cluster::NotificationLogEvent& event);

}  // namespace vigil::notifier
