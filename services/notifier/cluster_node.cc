#include "services/notifier/cluster_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "lib/bus/topics.h"
#include "services/notifier/cluster_log.h"

namespace vigil::notifier {

using LogKind = v1::NotificationLogEvent;

ClusterNode::ClusterNode(int position, absl::Duration peer_timeout, Dispatcher& dispatcher,
                         Deliverer& deliverer, bus::Publisher& publisher)
    : cluster_(position, peer_timeout),
      dispatcher_(dispatcher),
      deliverer_(deliverer),
      publisher_(publisher),
      timeout_ms_(absl::ToInt64Milliseconds(peer_timeout)),
      // Several per peer timeout, so one late message does not look like a death.
      heartbeat_ms_(std::max<TimestampMs>(10, timeout_ms_ / 5)),
      request_backoff_ms_(heartbeat_ms_) {
  dispatcher_.set_on_local_silence([this](const Silence& s) { PublishSilence(s); });
}

ClusterNode::~ClusterNode() { dispatcher_.set_on_local_silence(nullptr); }

void ClusterNode::PublishSilence(const Silence& s) {
  publisher_.Publish(bus::kTopicNotificationLog, SilenceEvent(cluster_.position(), s));
}

void ClusterNode::PublishAck(const v1::Acknowledgement& ack) {
  publisher_.Publish(bus::kTopicNotificationLog, AckEvent(cluster_.position(), ack));
}

void ClusterNode::PublishLog(int kind, const std::string& stream_key, const LogEntry& entry) {
  publisher_.Publish(bus::kTopicNotificationLog, LogEvent(static_cast<LogKind::Kind>(kind),
                                                          cluster_.position(), stream_key, entry));
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

void ClusterNode::StartSnapshot(int peer, uint64_t peer_incarnation, TimestampMs now) {
  auto serving = serving_.find(peer);
  if (serving != serving_.end() && serving->second.peer_incarnation == peer_incarnation) return;
  const PeerStream& stream = peers_[peer];
  if (serving == serving_.end() && stream.paced && stream.received < stream.synced_sent) return;
  Serving s;
  s.peer_incarnation = peer_incarnation;
  s.heard_ms = now;
  s.moved_ms = now;
  auto add = [&](LogKind ev, uint64_t intent_id = 0) {
    ev.set_for_position(peer);
    s.messages.push_back(std::move(ev));
    s.intent_ids.push_back(intent_id);
  };
  for (const auto& [key, entry] : dispatcher_.delivered_log().entries()) {
    add(LogEvent(LogKind::DELIVERED, cluster_.position(), key, entry));
  }
  for (const auto& [id, intent] : delivering_) {
    add(LogEvent(LogKind::INTENT, cluster_.position(), intent.first, intent.second), id);
  }
  for (const Silence& silence : dispatcher_.silences().List()) {
    add(SilenceEvent(cluster_.position(), silence));
  }
  // In any order: the asker lists them by time whatever order they arrive in (HoldAck).
  for (const v1::Acknowledgement& a : dispatcher_.Acknowledgements(0)) {
    add(AckEvent(cluster_.position(), a));
  }
  LogKind end;
  end.set_kind(LogKind::SYNCED);
  end.set_position(cluster_.position());
  // The state above is this replica's up to now; what changes from here on is published
  // after it, from the next sequence on.
  end.set_snapshot_start(publisher_.sequence(bus::kTopicNotificationLog) + 1);
  add(std::move(end));
  spdlog::info("HA: sending a snapshot of {} message(s) to position {}", s.messages.size(), peer);
  serving_[peer] = std::move(s);
  SendSnapshots(now);
}

void ClusterNode::SendSnapshots(TimestampMs now) {
  const uint64_t window = std::max(2, publisher_.send_hwm() / 4);
  for (auto it = serving_.begin(); it != serving_.end();) {
    const int peer = it->first;
    Serving& s = it->second;
    if (now - s.heard_ms >= timeout_ms_) {
      spdlog::warn("HA: position {} went silent: snapshot for it abandoned", peer);
      it = serving_.erase(it);
      continue;
    }
    if (now - s.moved_ms >= timeout_ms_) {
      // It hears us ask for reports, or its reports do not reach us: a fresh request
      // starts over rather than wait forever.
      spdlog::warn("HA: snapshot for position {} abandoned: its reports stopped at {}", peer,
                   peers_[peer].received);
      it = serving_.erase(it);
      continue;
    }
    PeerStream& stream = peers_[peer];
    const uint64_t published = publisher_.sequence(bus::kTopicNotificationLog);
    // A report above what was published is of this replica's previous run: none yet.
    const uint64_t received = stream.received <= published ? stream.received : 0;
    const uint64_t unacknowledged = published - received;
    const size_t left = s.messages.size() - s.next;
    size_t count = unacknowledged < window ? window - unacknowledged : 0;
    // Not a sliver at a time (each asks for a report): half a window, or the rest. With
    // no room, one message to ask for a report when the last asked for has been answered
    // (the reports so far are stale, or one was lost).
    if (count < std::min<size_t>(left, window / 2)) {
      count = s.progress_asked == 0 || received >= s.progress_asked ? 1 : 0;
    }
    if (!stream.paced) count = left;  // it reports nothing: as its version sent them
    count = std::min(count, left);
    if (count > 0) s.moved_ms = now;
    std::vector<LogKind*> slice;
    for (const size_t end = s.next + count; s.next < end; ++s.next) {
      const uint64_t intent = s.intent_ids[s.next];
      if (intent != 0 && !delivering_.contains(intent)) continue;  // finished since
      slice.push_back(&s.messages[s.next]);
    }
    if (s.next < s.messages.size() && !slice.empty() && stream.paced) {
      slice.back()->set_progress_wanted(true);
      s.progress_asked = published + slice.size();
    }
    if (!slice.empty()) publisher_.RefreshQueueLengths();
    for (const LogKind* ev : slice) publisher_.Publish(bus::kTopicNotificationLog, *ev);
    if (s.next < s.messages.size()) {
      ++it;
      continue;
    }
    stream.synced_sent = publisher_.sequence(bus::kTopicNotificationLog);
    ++snapshots_served_;
    spdlog::info("HA: snapshot sent to position {}", peer);
    it = serving_.erase(it);
  }
}

bool ClusterNode::OnPeerMessage(const bus::Message& m, TimestampMs now) {
  LogKind ev;
  if (!m.ParseAs(&ev)) return false;
  if (ev.position() == cluster_.position()) {
    spdlog::warn("peer {} has this replica's --cluster.position {}: ignored", m.header.publisher(),
                 ev.position());
    return true;
  }
  cluster_.OnPeerAlive(ev.position(), m.header.incarnation(), now);
  PeerStream& stream = peers_[ev.position()];
  const uint64_t sequence = m.header.sequence();
  if (stream.incarnation != m.header.incarnation() || m.gap_before) {
    // Its first message (since it started, or since this replica did), or the first after
    // a loss: what came before is not known to have arrived.
    if (stream.incarnation != m.header.incarnation()) {
      // Someone new to ask (it restarted, or is heard for the first time): at once.
      request_backoff_ms_ = heartbeat_ms_;
      next_request_ms_ = 0;
    }
    stream.incarnation = m.header.incarnation();
    stream.whole_from = sequence;
  }
  stream.last = sequence;
  if ((m.gap_before || m.publisher_restarted) && !resync_wanted_) {
    // Deliveries lost are made good by the next ones; silences and acknowledgements are
    // sent once: ask for the peer's whole state on the next heartbeat the back-off allows.
    spdlog::warn("notification log messages from {} lost{}: asking for a snapshot",
                 m.header.publisher(), m.publisher_restarted ? " (it restarted)" : "");
    resync_wanted_ = true;
    if (now >= next_request_ms_) next_heartbeat_ms_ = 0;
  }
  const bool for_me = ev.for_position() == cluster_.position();
  if (for_me && ev.progress_wanted()) {
    next_heartbeat_ms_ = 0;  // tell the sender what arrived, at once
    // The peer is answering: no need to ask it again before the back-off.
    next_request_ms_ = std::max(next_request_ms_, now + request_backoff_ms_);
  }
  switch (ev.kind()) {
    case LogKind::HEARTBEAT: {
      auto received = ev.received().find(cluster_.position());
      stream.received = received == ev.received().end() ? 0 : received->second;
      stream.paced = ev.paced();
      if (auto serving = serving_.find(ev.position()); serving != serving_.end()) {
        serving->second.heard_ms = now;
      }
      SendSnapshots(now);  // what its report allows; drops a snapshot that stalled
      if (ev.needs_sync()) StartSnapshot(ev.position(), m.header.incarnation(), now);
      break;
    }
    case LogKind::SYNCED:
      if (!for_me || !AsksForSnapshot()) break;
      // From a peer of a version before snapshot_start (0): its rule, nothing lost right
      // before the SYNCED.
      if (ev.snapshot_start() == 0 ? m.gap_before : ev.snapshot_start() < stream.whole_from) {
        ++snapshots_incomplete_;
        spdlog::warn("HA: snapshot from {} incomplete (messages lost since it started)",
                     m.header.publisher());
        break;
      }
      cluster_.MarkSynced();
      resync_wanted_ = false;
      request_backoff_ms_ = heartbeat_ms_;
      next_request_ms_ = 0;
      spdlog::info("HA: notification log synced from {}", m.header.publisher());
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
  SendSnapshots(now);
  if (now < next_heartbeat_ms_) return;
  const bool ask = AsksForSnapshot() && now >= next_request_ms_;
  LogKind beat;
  beat.set_kind(LogKind::HEARTBEAT);
  beat.set_position(cluster_.position());
  beat.set_needs_sync(ask);
  beat.set_paced(true);
  for (const auto& [position, stream] : peers_) {
    if (stream.last != 0) (*beat.mutable_received())[position] = stream.last;
  }
  publisher_.Publish(bus::kTopicNotificationLog, beat);
  next_heartbeat_ms_ = now + heartbeat_ms_;
  if (ask) {
    ++snapshot_requests_;
    next_request_ms_ = now + request_backoff_ms_;
    request_backoff_ms_ = std::min(2 * request_backoff_ms_, 2 * timeout_ms_);
  }
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
  (*stats)["cluster_snapshot_requests"] = static_cast<double>(snapshot_requests_);
  (*stats)["cluster_snapshots_incomplete"] = static_cast<double>(snapshots_incomplete_);
  (*stats)["cluster_snapshots_served"] = static_cast<double>(snapshots_served_);
  (*stats)["cluster_snapshots_sending"] = static_cast<double>(serving_.size());
}

}  // namespace vigil::notifier
