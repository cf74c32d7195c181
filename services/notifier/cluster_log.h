#pragma once

#include <string>

#include "vigil/v1/cluster.pb.h"
#include "services/notifier/dedup.h"
#include "services/notifier/silences.h"
#include "vigil/v1/control.pb.h"

namespace vigil::notifier {

// Conversions between the notification log and its bus messages (proto/vigil/v1/cluster.proto), which
// the replicas of an HA pair exchange on the "nflog" topic.
v1::NotificationLogEvent LogEvent(v1::NotificationLogEvent::Kind kind, int position,
                                       const std::string& stream_key, const LogEntry& entry);
LogEntry EntryFromEvent(const v1::NotificationLogEvent& event);
// SILENCE: `s` as the store keeps it.
v1::NotificationLogEvent SilenceEvent(int position, const Silence& s);
v1::NotificationLogEvent AckEvent(int position, const v1::Acknowledgement& ack);

}  // namespace vigil::notifier
