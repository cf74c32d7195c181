#include "services/notifier/cluster.h"

#include <algorithm>
#include <limits>

namespace vigil::notifier {

Cluster::Cluster(int position, absl::Duration peer_timeout)
    : position_(position), timeout_ms_(absl::ToInt64Milliseconds(peer_timeout)) {}

void Cluster::Start(TimestampMs now) {
  if (!started_ms_) started_ms_ = now;
}

bool Cluster::Alive(const Peer& p, TimestampMs now) const {
  return now - p.last_seen_ms < timeout_ms_;
}

bool Cluster::MayNotHaveHeardPeers(TimestampMs now) const {
  return !started_ms_ || now - *started_ms_ < timeout_ms_;
}

TimestampMs Cluster::TurnAt(const Held& h) const {
  return std::max(h.held_at_ms, started_ms_.value_or(h.held_at_ms)) + position_ * timeout_ms_;
}

bool Cluster::PrimaryMayBeAlive(TimestampMs now) const {
  if (MayNotHaveHeardPeers(now)) return true;
  for (const auto& [pos, peer] : peers_) {
    if (pos < position_ && Alive(peer, now)) return true;
  }
  return false;
}

void Cluster::OnPeerAlive(int position, uint64_t incarnation, TimestampMs now) {
  Peer& p = peers_[position];
  if (p.incarnation != incarnation) {
    p.incarnation = incarnation;
    p.intents.clear();  // a restarted peer finishes nothing it announced before
  }
  p.last_seen_ms = std::max(p.last_seen_ms, now);
}

void Cluster::OnPeerIntent(int position, const std::string& stream_key, uint64_t sequence) {
  uint64_t& seq = peers_[position].intents[stream_key];
  seq = std::max(seq, sequence);
}

std::vector<Notification> Cluster::OnPeerDone(int position, const std::string& stream_key,
                                              uint64_t sequence) {
  Peer& p = peers_[position];
  auto intent = p.intents.find(stream_key);
  if (intent != p.intents.end() && intent->second <= sequence) p.intents.erase(intent);
  std::vector<Notification> covered;
  auto it = held_.find(stream_key);
  if (it != held_.end() && it->second.notification.sequence <= sequence) {
    covered.push_back(std::move(it->second.notification));
    held_.erase(it);
  }
  return covered;
}

Notification Cluster::Hold(Notification n, TimestampMs now) {
  Notification older;
  const std::string key = n.StreamKey();
  auto it = held_.find(key);
  if (it != held_.end()) {
    older = std::move(it->second.notification);
    // The newer one keeps the older's place: it was due then already.
    it->second.notification = std::move(n);
    return older;
  }
  held_.emplace(key, Held{std::move(n), now});
  return older;
}

bool Cluster::PeerIsOnIt(const Held& h, TimestampMs now) const {
  const std::string key = h.notification.StreamKey();
  for (const auto& [pos, peer] : peers_) {
    if (!Alive(peer, now)) continue;
    auto it = peer.intents.find(key);
    if (it != peer.intents.end() && it->second >= h.notification.sequence) return true;
  }
  return false;
}

std::vector<Notification> Cluster::Release(TimestampMs now) {
  if (!started_ms_ || (!synced_ && MayNotHaveHeardPeers(now))) return {};
  const bool wait = position_ > 0 && PrimaryMayBeAlive(now);
  std::vector<Held> due;
  for (auto it = held_.begin(); it != held_.end();) {
    const Held& h = it->second;
    if ((wait && now < TurnAt(h)) || PeerIsOnIt(h, now)) {
      ++it;
      continue;
    }
    due.push_back(std::move(it->second));
    held_.erase(it++);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Held& a, const Held& b) { return a.held_at_ms < b.held_at_ms; });
  std::vector<Notification> out;
  for (Held& h : due) out.push_back(std::move(h.notification));
  return out;
}

TimestampMs Cluster::NextDeadline(TimestampMs now) const {
  TimestampMs next = std::numeric_limits<TimestampMs>::max();
  if (held_.empty()) return next;
  // Before Start, Start is what the loop waits for, not a time.
  if (!started_ms_) return next;
  // Turns already come but blocked by a peer's intent wait for that peer's message or its
  // liveness to run out, below.
  for (const auto& [key, h] : held_) {
    if (TurnAt(h) > now) next = std::min(next, TurnAt(h));
  }
  if (MayNotHaveHeardPeers(now)) next = std::min(next, *started_ms_ + timeout_ms_);
  for (const auto& [pos, peer] : peers_) {
    if (Alive(peer, now)) next = std::min(next, peer.last_seen_ms + timeout_ms_);
  }
  return std::max(next, now);
}

size_t Cluster::LivePeers(TimestampMs now) const {
  size_t n = 0;
  for (const auto& [pos, peer] : peers_) n += Alive(peer, now) ? 1 : 0;
  return n;
}

}  // namespace vigil::notifier
