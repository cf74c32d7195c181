#include "services/notifier/cluster_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "lib/bus/topics.h"
#include "services/notifier/cluster_log.h"

namespace vigil::notifier {

using LogKind = cluster::NotificationLogEvent;

ClusterNode::ClusterNode(int position, absl::Duration peer_timeout, Dispatcher& dispatcher,
                         Deliverer& deliverer, bus::Publisher& publisher, TimestampMs now)
    : cluster_(position, peer_timeout, now),
      dispatcher_(dispatcher),
      deliverer_(deliverer),
      publisher_(publisher),
      // Several per peer timeout, so one late message does not look like a death.
      heartbeat_ms_(std::max<TimestampMs>(10, absl::ToInt64Milliseconds(peer_timeout) / 5)) {
  dispatcher_.set_on_local_silence([this](const Silence& s) { PublishSilence(s); });
  dispatcher_.set_on_local_ack([this](const v1::Acknowledgement& a) { PublishAck(a); });
}

ClusterNode::~ClusterNode() {
  dispatcher_.set_on_local_silence(nullptr);
  dispatcher_.set_on_local_ack(nullptr);
}

void ClusterNode::PublishSilence(const Silence& s) {
  LogKind ev;
  ev.set_kind(LogKind::SILENCE);
  ev.set_position(cluster_.position());
  ev.set_silence_json(GettableSilenceJson(s, /*now=*/0));  // the state is not read back
  publisher_.Publish(bus::kTopicNotificationLog, ev);
}

void ClusterNode::PublishAck(const v1::Acknowledgement& ack) {
  LogKind ev;
  ev.set_kind(LogKind::ACK);
  ev.set_position(cluster_.position());
  ack.SerializeToString(ev.mutable_acknowledgement());
  publisher_.Publish(bus::kTopicNotificationLog, ev);
}

void ClusterNode::PublishLog(int kind, const std::string& stream_key, const LogEntry& entry) {
  publisher_.Publish(bus::kTopicNotificationLog,
                     LogEvent(static_cast<LogKind::Kind>(kind), cluster_.position(), stream_key,
                              entry));
}

void ClusterNode::Submit(Notification n, TimestampMs now) {
  Notification older = cluster_.Hold(std::move(n), now);
  if (older.id != 0) {
    DeliveryResult superseded;
    superseded.id = older.id;
    superseded.final = true;
    superseded.superseded = true;
    dispatcher_.OnDeliveryResult(superseded);
  }
}

void ClusterNode::Release(TimestampMs now) {
  for (Notification& n : cluster_.Release(now)) {
    const LogEntry* entry = dispatcher_.InFlightEntry(n.id);
    if (entry == nullptr) continue;  // no longer owed
    PublishLog(LogKind::INTENT, n.StreamKey(), *entry);
    delivering_[n.id] = {n.StreamKey(), *entry};
    deliverer_.Submit(std::move(n));
  }
}

void ClusterNode::PublishResult(const std::string& stream_key, const DeliveryResult& r) {
  if (r.final) delivering_.erase(r.id);
  if (!r.final || r.superseded) return;
  if (const LogEntry* entry = dispatcher_.InFlightEntry(r.id)) {
    PublishLog(r.delivered ? LogKind::DELIVERED : LogKind::FAILED, stream_key, *entry);
  }
}

// Answers a peer's request for the delivered log, once per heartbeat interval at most.
void ClusterNode::SendSnapshot(int peer, TimestampMs now) {
  TimestampMs& last = snapshot_sent_ms_[peer];
  if (last != 0 && now - last < heartbeat_ms_) return;
  last = now;
  for (const auto& [key, entry] : dispatcher_.delivered_log().entries()) {
    PublishLog(LogKind::DELIVERED, key, entry);
  }
  for (const auto& [id, stream] : delivering_) {
    PublishLog(LogKind::INTENT, stream.first, stream.second);
  }
  for (const Silence& s : dispatcher_.silences().List()) PublishSilence(s);
  for (const v1::Acknowledgement& a : dispatcher_.Acknowledgements(0)) PublishAck(a);
  LogKind end;
  end.set_kind(LogKind::SYNCED);
  end.set_position(cluster_.position());
  end.set_for_position(peer);
  publisher_.Publish(bus::kTopicNotificationLog, end);
}

bool ClusterNode::OnPeerMessage(const bus::Message& m, TimestampMs now) {
  LogKind ev;
  if (!m.ParseAs(&ev)) return false;
  if (ev.position() == cluster_.position()) {
    spdlog::warn("peer {} has this replica's --cluster.position {}: ignored",
                 m.header.publisher(), ev.position());
    return true;
  }
  cluster_.OnPeerAlive(ev.position(), m.header.incarnation(), now);
  if ((m.gap_before || m.publisher_restarted) && !resync_wanted_) {
    // Deliveries lost are made good by the next ones; silences and acknowledgements are
    // sent once: ask for the peer's whole state on the next heartbeat, sent at once.
    spdlog::warn("notification log messages from {} lost{}: asking for a snapshot",
                 m.header.publisher(), m.publisher_restarted ? " (it restarted)" : "");
    resync_wanted_ = true;
    next_heartbeat_ms_ = 0;
  }
  switch (ev.kind()) {
    case LogKind::HEARTBEAT:
      if (ev.needs_sync()) SendSnapshot(ev.position(), now);
      break;
    case LogKind::SYNCED:
      // Not a SYNCED with messages lost before it: part of that snapshot is missing.
      if (ev.for_position() == cluster_.position() && AsksForSnapshot() && !m.gap_before) {
        cluster_.MarkSynced();
        resync_wanted_ = false;
        spdlog::info("HA: notification log synced from {}", m.header.publisher());
      }
      break;
    case LogKind::INTENT:
      cluster_.OnPeerIntent(ev.position(), ev.stream_key(), ev.sequence());
      break;
    case LogKind::SILENCE: {
      auto s = ParseSilenceJson(ev.silence_json());
      if (!s.ok() || s->id.empty()) return false;
      if (dispatcher_.MergeSilence(std::move(*s), now)) {
        spdlog::info("HA: silence from {}", m.header.publisher());
      }
      break;
    }
    case LogKind::ACK: {
      v1::Acknowledgement ack;
      if (!ack.ParseFromString(ev.acknowledgement())) return false;
      dispatcher_.MergeAcknowledgement(std::move(ack), now);
      break;
    }
    case LogKind::DELIVERED:
    case LogKind::FAILED: {
      const bool delivered = ev.kind() == LogKind::DELIVERED;
      std::vector<Notification> covered =
          cluster_.OnPeerDone(ev.position(), ev.stream_key(), ev.sequence());
      dispatcher_.OnPeerLog(ev.stream_key(), EntryFromEvent(ev), delivered);
      // A peer that gave up for good: so do we; the next flush tries again.
      for (const Notification& n : covered) {
        if (delivered) continue;
        dispatcher_.OnDeliveryResult({.id = n.id,
                                      .final = true,
                                      .delivered = false,
                                      .error = "a peer replica gave up on it"});
      }
      break;
    }
    default:
      break;
  }
  return true;
}

void ClusterNode::Heartbeat(TimestampMs now) {
  if (now < next_heartbeat_ms_) return;
  LogKind beat;
  beat.set_kind(LogKind::HEARTBEAT);
  beat.set_position(cluster_.position());
  beat.set_needs_sync(AsksForSnapshot());
  publisher_.Publish(bus::kTopicNotificationLog, beat);
  next_heartbeat_ms_ = now + heartbeat_ms_;
}

TimestampMs ClusterNode::NextDeadline(TimestampMs now) const {
  return std::min(cluster_.NextDeadline(now), next_heartbeat_ms_);
}

void ClusterNode::AddStats(google::protobuf::Map<std::string, double>* stats,
                           TimestampMs now) const {
  (*stats)["cluster_position"] = cluster_.position();
  (*stats)["cluster_peers_live"] = static_cast<double>(cluster_.LivePeers(now));
  (*stats)["cluster_held"] = static_cast<double>(cluster_.held());
  (*stats)["cluster_synced"] = cluster_.synced() ? 1 : 0;
  (*stats)["cluster_asks_for_snapshot"] = AsksForSnapshot() ? 1 : 0;
}

}  // namespace vigil::notifier
