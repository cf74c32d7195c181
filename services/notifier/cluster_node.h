#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/clock/clock.h"
#include "services/notifier/cluster.h"
#include "services/notifier/delivery.h"
#include "services/notifier/dispatcher.h"

namespace vigil::notifier {

// The I/O side of HA (docs/HA.md): connects the Cluster gate to the dispatcher, the
// deliverer and the bus. It publishes heartbeats, intents, results, silences,
// acknowledgements and snapshots on the "nflog" topic and applies what the peers publish
// there. Loop thread only; the
// dispatcher, deliverer and publisher must outlive it.
class ClusterNode {
 public:
  ClusterNode(int position, absl::Duration peer_timeout, Dispatcher& dispatcher,
              Deliverer& deliverer, bus::Publisher& publisher, TimestampMs now);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // A due notification: held in the gate until this replica's turn (see Cluster).
  void Submit(Notification n, TimestampMs now);
  // Delivers what the gate lets through, announcing each to the peers first.
  void Release(TimestampMs now);
  // A final delivery result, before the dispatcher records it (it still knows the entry).
  void PublishResult(const std::string& stream_key, const DeliveryResult& r);
  // A message of the "nflog" topic. False when malformed.
  bool OnPeerMessage(const bus::Message& m, TimestampMs now);
  // Sends a heartbeat when one is due.
  void Heartbeat(TimestampMs now);
  // When the loop must next call Heartbeat/Release.
  TimestampMs NextDeadline(TimestampMs now) const;
  // Whether heartbeats ask the peers for a snapshot (needs_sync): until one arrived after
  // start, and again after messages of a peer were lost on the bus (a gap in its stream, or
  // it restarted), since a lost SILENCE or ACK is never sent again otherwise; the SYNCED
  // that ends the answer clears it. Applying a snapshot is idempotent.
  bool AsksForSnapshot() const { return !cluster_.synced() || resync_wanted_; }
  // The "cluster_*" status stats.
  void AddStats(google::protobuf::Map<std::string, double>* stats, TimestampMs now) const;

 private:
  void PublishLog(int kind, const std::string& stream_key, const LogEntry& entry);
  // Silences and acknowledgements made through this replica's API (and in snapshots), so
  // that a silence set on either replica mutes on both and each lists every acknowledgement.
  void PublishSilence(const Silence& s);
  void PublishAck(const v1::Acknowledgement& ack);
  void SendSnapshot(int peer, TimestampMs now);

  Cluster cluster_;
  Dispatcher& dispatcher_;
  Deliverer& deliverer_;
  bus::Publisher& publisher_;
  const TimestampMs heartbeat_ms_;
  TimestampMs next_heartbeat_ms_ = 0;
  std::map<int, TimestampMs> snapshot_sent_ms_;  // by peer position
  bool resync_wanted_ = false;  // a peer's messages were lost since the last snapshot
  // Released to delivery and not finished, by notification id: (stream key, log entry),
  // re-announced as intents in snapshots so that a restarted peer does not join in.
  absl::flat_hash_map<uint64_t, std::pair<std::string, LogEntry>> delivering_;
};

}  // namespace vigil::notifier
