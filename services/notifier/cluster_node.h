#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/clock/clock.h"
#include "services/notifier/cluster.h"
#include "services/notifier/delivery.h"
#include "services/notifier/dispatcher.h"
#include "vigil/v1/cluster.pb.h"

namespace vigil::notifier {

// The I/O side of HA (docs/HA.md): connects the Cluster gate to the dispatcher, the
// deliverer and the bus. It publishes heartbeats, intents, results, silences,
// acknowledgements and snapshots on the "nflog" topic and applies what the peers publish
// there. Loop thread only; the dispatcher, deliverer and publisher must outlive it.
class ClusterNode {
 public:
  ClusterNode(int position, absl::Duration peer_timeout, Dispatcher& dispatcher,
              Deliverer& deliverer, bus::Publisher& publisher);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Call once the publisher is bound and the "nflog" topic subscribed, before the loop's
  // first Heartbeat (which asks the peers for a snapshot): the wait for the peers (see
  // Cluster) counts from here, not from construction. Nothing is released before.
  void Start(TimestampMs now) { cluster_.Start(now); }

  // A due notification: held in the gate until this replica's turn (see Cluster).
  void Submit(Notification n, TimestampMs now);
  // Delivers what the gate lets through, announcing each to the peers first.
  void Release(TimestampMs now);
  // A final delivery result, before the dispatcher records it (it still knows the entry).
  void PublishResult(const std::string& stream_key, const DeliveryResult& r);
  // A message of the "nflog" topic. False when malformed.
  bool OnPeerMessage(const bus::Message& m, TimestampMs now);
  // Sends a heartbeat when one is due, and what the window allows of the snapshots being
  // sent. The loop calls it every turn.
  void Heartbeat(TimestampMs now);
  // When the loop must next call Heartbeat/Release.
  TimestampMs NextDeadline(TimestampMs now) const;
  // Whether this replica wants a peer's snapshot: until one arrived after start, and again
  // after messages of a peer were lost on the bus (a gap in its stream, or it restarted),
  // since a lost SILENCE or ACK is never sent again otherwise. A SYNCED for it clears this
  // if no message of the sender's was lost since that snapshot started. Heartbeats carry
  // the request (needs_sync) at doubling intervals, from the heartbeat's to twice the peer
  // timeout, until a snapshot came. Applying a snapshot is idempotent.
  bool AsksForSnapshot() const { return !cluster_.synced() || resync_wanted_; }
  // The "cluster_*" status stats.
  void AddStats(google::protobuf::Map<std::string, double>* stats, TimestampMs now) const;
  // An acknowledgement made through this replica's API, to the peers: the owner of the
  // dispatcher's on_local_ack hook calls it (the app, which also publishes it for the
  // reporter).
  void PublishAck(const v1::Acknowledgement& ack);

 private:
  // A peer's nflog stream as received here, and its reports of ours.
  struct PeerStream {
    uint64_t incarnation = 0;
    uint64_t last = 0;         // the sequence of its last message received
    uint64_t whole_from = 0;   // its messages from this sequence on were all received
    uint64_t received = 0;     // the last of this replica's sequences it reported received
    uint64_t synced_sent = 0;  // the sequence of the last SYNCED sent to it
    bool paced = true;         // its heartbeats report what it received (not a legacy peer)
  };
  // A snapshot being sent to one peer: its messages, made when it was asked for, go out a
  // window at a time (see SendSnapshots).
  struct Serving {
    uint64_t peer_incarnation = 0;
    std::vector<v1::NotificationLogEvent> messages;  // the last is the SYNCED
    std::vector<uint64_t> intent_ids;  // per message: an INTENT's notification, else 0
    size_t next = 0;
    uint64_t progress_asked = 0;  // the sequence of the last message with progress_wanted
    TimestampMs heard_ms = 0;     // the peer's last heartbeat
    TimestampMs moved_ms = 0;     // when it started or last sent a message
  };

  void PublishLog(int kind, const std::string& stream_key, const LogEntry& entry);
  // Silences and acknowledgements made through this replica's API (and in snapshots), so
  // that a silence set on either replica mutes on both and each lists every acknowledgement.
  void PublishSilence(const Silence& s);
  // Answers a peer's request: a snapshot of the log, the deliveries under way, silences and
  // acknowledgements, then SYNCED. Not when one is being sent to it, or when
  // the request was sent before the last SYNCED to it arrived. To a peer of a version before
  // pacing (its heartbeats are not `paced`), all at once, as that version did.
  void StartSnapshot(int peer, uint64_t peer_incarnation, TimestampMs now);
  // Sends of each snapshot what keeps no more than a window (a quarter of the send
  // high-water mark) of this replica's messages unacknowledged by its peer, so that ZeroMQ
  // drops neither the snapshot nor the live messages sent meanwhile. The last message of
  // each slice asks the peer for a heartbeat at once, which tells what it received. A
  // snapshot is dropped when its asker falls silent or when none of it could be sent for
  // peer_timeout (its reports never caught up: a one-way loss); the next request restarts it.
  void SendSnapshots(TimestampMs now);

  Cluster cluster_;
  Dispatcher& dispatcher_;
  Deliverer& deliverer_;
  bus::Publisher& publisher_;
  const TimestampMs timeout_ms_;
  const TimestampMs heartbeat_ms_;
  TimestampMs next_heartbeat_ms_ = 0;
  std::map<int, PeerStream> peers_;  // by position
  std::map<int, Serving> serving_;   // by the asker's position
  bool resync_wanted_ = false;       // a peer's messages were lost since the last snapshot
  TimestampMs next_request_ms_ = 0;  // when a heartbeat may ask for a snapshot again
  TimestampMs request_backoff_ms_;   // the wait after the next request
  uint64_t snapshot_requests_ = 0;
  uint64_t snapshots_served_ = 0;
  uint64_t snapshots_incomplete_ = 0;
  // Released to delivery and not finished, by notification id: (stream key, log entry),
  // re-announced as intents in snapshots so that a restarted peer does not join in.
  absl::flat_hash_map<uint64_t, std::pair<std::string, LogEntry>> delivering_;
};

}  // namespace vigil::notifier
