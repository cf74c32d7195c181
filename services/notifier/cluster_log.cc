#include "services/notifier/cluster_log.h"

namespace vigil::notifier {

v1::NotificationLogEvent LogEvent(v1::NotificationLogEvent::Kind kind, int position,
                                       const std::string& stream_key, const LogEntry& entry) {
  v1::NotificationLogEvent ev;
  ev.set_kind(kind);
  ev.set_position(position);
  ev.set_stream_key(stream_key);
  ev.set_sequence(entry.sequence);
  for (uint64_t fp : entry.firing) ev.add_firing(fp);
  for (uint64_t fp : entry.resolved) ev.add_resolved(fp);
  ev.set_timestamp_ms(entry.timestamp_ms);
  return ev;
}

LogEntry EntryFromEvent(const v1::NotificationLogEvent& event) {
  LogEntry e;
  e.firing.insert(event.firing().begin(), event.firing().end());
  e.resolved.insert(event.resolved().begin(), event.resolved().end());
  e.timestamp_ms = event.timestamp_ms();
  e.sequence = event.sequence();
  return e;
}

v1::NotificationLogEvent SilenceEvent(int position, const Silence& s) {
  v1::NotificationLogEvent ev;
  ev.set_kind(v1::NotificationLogEvent::SILENCE);
  ev.set_position(position);
  ev.set_silence_json(GettableSilenceJson(s, /*now=*/0));  // the state is not read back
  return ev;
}

v1::NotificationLogEvent AckEvent(int position, const v1::Acknowledgement& ack) {
  v1::NotificationLogEvent ev;
  ev.set_kind(v1::NotificationLogEvent::ACK);
  ev.set_position(position);
  ack.SerializeToString(ev.mutable_acknowledgement());
  return ev;
}

}  // namespace vigil::notifier
