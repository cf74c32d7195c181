#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"
#include "services/notifier/notification.h"

namespace vigil::notifier {

// High availability: the gate between the dispatcher and delivery when several notifier
// replicas receive the same alerts (see docs/HA.md). Each replica has a position (0 is
// the primary). A due notification is held here until
//   - a peer reports it DELIVERED (same stream, sequence at least as high): dropped, the
//     peer's log entry is recorded instead;
//   - or the replica's turn came: position x peer_timeout after it was held (the primary
//     never waits; nobody waits once no lower-position peer is alive), and no live peer
//     has announced an INTENT to deliver it that it has not finished.
// A peer is alive while its messages (heartbeats at least) keep arriving within
// peer_timeout; every peer is presumed alive for peer_timeout after this replica starts,
// so that a replica does not deliver before it had a chance to hear the others. A
// replica that (re)starts holds everything, the primary too, until a peer sent it a
// snapshot of the log (MarkSynced) or peer_timeout passed: what the peers delivered while
// it was down must not be delivered again.
//
// "Starts" is Start, not construction: the replica is built (and handed the notifications
// owed from its last run) before its bus is up, and a slow start must not use up the wait
// for peers it could not hear yet. Until Start, everything is held.
//
// Functional core: time comes only from the `now` arguments. Loop thread only.
class Cluster {
 public:
  Cluster(int position, absl::Duration peer_timeout);

  // This replica can hear its peers (and they it) from `now` on: the wait for them counts
  // from here. Once.
  void Start(TimestampMs now);

  // Any message from a peer: refreshes its liveness. A new incarnation (the peer
  // restarted) voids its unfinished intents.
  void OnPeerAlive(int position, uint64_t incarnation, TimestampMs now);
  void OnPeerIntent(int position, const std::string& stream_key, uint64_t sequence);
  // DELIVERED or FAILED from a peer. Returns the held notifications it covers (same
  // stream, sequence <= `sequence`), removed from the gate.
  std::vector<Notification> OnPeerDone(int position, const std::string& stream_key,
                                       uint64_t sequence);

  // Holds `n`; returns the older held notification of the same stream it supersedes, if
  // any (id 0 when none).
  Notification Hold(Notification n, TimestampMs now);
  // Removes and returns the held notifications whose turn came, oldest first.
  std::vector<Notification> Release(TimestampMs now);
  // When Release may next return something: a held notification's turn, or a live peer's
  // liveness running out. Clock::kNever-like max value when nothing is held.
  TimestampMs NextDeadline(TimestampMs now) const;

  // A peer's snapshot of its log has been applied.
  void MarkSynced() { synced_ = true; }
  bool synced() const { return synced_; }

  int position() const { return position_; }
  size_t held() const { return held_.size(); }
  size_t LivePeers(TimestampMs now) const;

 private:
  struct Peer {
    uint64_t incarnation = 0;
    TimestampMs last_seen_ms = 0;
    // Unfinished intents by stream key: the highest sequence announced.
    absl::flat_hash_map<std::string, uint64_t> intents;
  };
  struct Held {
    Notification notification;
    TimestampMs held_at_ms = 0;
  };

  bool Alive(const Peer& p, TimestampMs now) const;
  // Not started, or started less than peer_timeout ago: a peer may not have been heard yet.
  bool MayNotHaveHeardPeers(TimestampMs now) const;
  // When `h`'s turn comes: position x peer_timeout after it was held, or after Start for
  // what was held before (the peers could not tell about it earlier).
  TimestampMs TurnAt(const Held& h) const;
  // Whether a lower-position peer is (or, right after start, may be) alive.
  bool PrimaryMayBeAlive(TimestampMs now) const;
  bool PeerIsOnIt(const Held& h, TimestampMs now) const;

  const int position_;
  const TimestampMs timeout_ms_;
  std::optional<TimestampMs> started_ms_;  // set by Start
  bool synced_ = false;
  std::map<int, Peer> peers_;         // by position
  std::map<std::string, Held> held_;  // by stream key
};

}  // namespace vigil::notifier
