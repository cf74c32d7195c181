#pragma once

#include <string>

#include "services/notifier/cluster.pb.h"
#include "services/notifier/dedup.h"
#include "services/notifier/silences.h"
#include "vigil/v1/control.pb.h"

namespace vigil::notifier {

// Conversions between the notification log and its bus messages (cluster.proto), which
// the replicas of an HA pair exchange on the "nflog" topic.
cluster::NotificationLogEvent LogEvent(cluster::NotificationLogEvent::Kind kind, int position,
                                       const std::string& stream_key, const LogEntry& entry);
LogEntry EntryFromEvent(const cluster::NotificationLogEvent& event);
// SILENCE: `s` as the store keeps it.
cluster::NotificationLogEvent SilenceEvent(int position, const Silence& s);
cluster::NotificationLogEvent AckEvent(int position, const v1::Acknowledgement& ack);

}  // namespace vigil::notifier
