#include "services/notifier/cluster.h"

#include <gtest/gtest.h>

#include <zmq.hpp>

#include "lib/bus/topics.h"
#include "prometheus/registry.h"
#include "services/notifier/cluster_log.h"
#include "services/notifier/cluster_node.h"

namespace vigil::notifier {
namespace {

constexpr TimestampMs kT0 = 1'000'000;
constexpr absl::Duration kTimeout = absl::Seconds(10);

Notification Note(uint64_t id, const std::string& group, uint64_t sequence) {
  Notification n;
  n.id = id;
  n.receiver = "hook";
  n.group_key = group;
  n.sequence = sequence;
  return n;
}

std::vector<uint64_t> Ids(const std::vector<Notification>& ns) {
  std::vector<uint64_t> ids;
  for (const Notification& n : ns) ids.push_back(n.id);
  return ids;
}

TEST(ClusterTest, PrimaryDeliversAtOnceUnlessAPeerIsDeliveringIt) {
  Cluster c(0, kTimeout, kT0);
  c.OnPeerAlive(1, 7, kT0);
  c.MarkSynced();
  c.Hold(Note(1, "a", 1), kT0);
  EXPECT_EQ(Ids(c.Release(kT0)), std::vector<uint64_t>{1});

  // The secondary took over earlier and is still retrying: the primary waits for it.
  c.OnPeerIntent(1, Note(2, "b", 1).StreamKey(), 1);
  c.Hold(Note(2, "b", 1), kT0);
  EXPECT_TRUE(c.Release(kT0 + 1000).empty());
  EXPECT_EQ(Ids(c.OnPeerDone(1, Note(2, "b", 1).StreamKey(), 1)), std::vector<uint64_t>{2});
  EXPECT_EQ(c.held(), 0u);
}

TEST(ClusterTest, SecondaryWaitsItsTurnAndDropsWhatThePrimaryDelivered) {
  Cluster c(1, kTimeout, kT0);
  c.OnPeerAlive(0, 7, kT0);
  c.Hold(Note(1, "a", 1), kT0);
  c.Hold(Note(2, "b", 1), kT0);
  EXPECT_TRUE(c.Release(kT0 + 5000).empty());
  EXPECT_EQ(c.NextDeadline(kT0 + 5000), kT0 + 10'000);
  // The primary delivered "a"; "b" it never mentioned (it did not get the alert).
  EXPECT_EQ(Ids(c.OnPeerDone(0, Note(1, "a", 1).StreamKey(), 1)), std::vector<uint64_t>{1});
  c.OnPeerAlive(0, 7, kT0 + 9000);
  EXPECT_TRUE(c.Release(kT0 + 9999).empty());
  EXPECT_EQ(Ids(c.Release(kT0 + 10'000)), std::vector<uint64_t>{2});
}

TEST(ClusterTest, SecondaryWaitsForALivePrimarysIntentThenTakesOverWhenItDies) {
  Cluster c(1, kTimeout, kT0);
  c.OnPeerAlive(0, 7, kT0);
  c.OnPeerIntent(0, Note(1, "a", 3).StreamKey(), 3);
  c.Hold(Note(1, "a", 3), kT0);
  c.OnPeerAlive(0, 7, kT0 + 15'000);  // heartbeats: alive, still retrying
  EXPECT_TRUE(c.Release(kT0 + 20'000).empty());
  EXPECT_EQ(c.LivePeers(kT0 + 20'000), 1u);
  // Heartbeats stop: at peer_timeout after the last one the secondary delivers.
  EXPECT_EQ(c.NextDeadline(kT0 + 20'000), kT0 + 25'000);
  EXPECT_TRUE(c.Release(kT0 + 24'999).empty());
  EXPECT_EQ(Ids(c.Release(kT0 + 25'000)), std::vector<uint64_t>{1});
  EXPECT_EQ(c.LivePeers(kT0 + 25'000), 0u);
  // With the primary dead there is no turn to wait for.
  c.Hold(Note(2, "b", 1), kT0 + 30'000);
  EXPECT_EQ(Ids(c.Release(kT0 + 30'000)), std::vector<uint64_t>{2});
}

TEST(ClusterTest, PeersArePresumedAliveRightAfterStart) {
  Cluster c(1, kTimeout, kT0);
  c.Hold(Note(1, "a", 1), kT0 + 100);
  EXPECT_TRUE(c.Release(kT0 + 9000).empty());
  EXPECT_EQ(c.NextDeadline(kT0 + 9000), kT0 + 10'000);
  // Nobody spoke up within the timeout: the secondary is on its own.
  EXPECT_EQ(Ids(c.Release(kT0 + 10'000)), std::vector<uint64_t>{1});
}

TEST(ClusterTest, ARestartedPeerFinishesNoOldIntentAndNewerNotificationsSupersede) {
  Cluster c(0, kTimeout, kT0);
  c.OnPeerAlive(1, 7, kT0);
  c.MarkSynced();
  c.OnPeerIntent(1, Note(1, "a", 2).StreamKey(), 2);
  EXPECT_EQ(c.Hold(Note(1, "a", 2), kT0).id, 0u);
  EXPECT_TRUE(c.Release(kT0).empty());
  // A newer notification of the same stream replaces the held one.
  EXPECT_EQ(c.Hold(Note(3, "a", 3), kT0 + 1).id, 1u);
  EXPECT_EQ(Ids(c.Release(kT0 + 2)), std::vector<uint64_t>{3});  // seq 3 > intent 2

  c.OnPeerIntent(1, Note(4, "b", 1).StreamKey(), 1);
  c.Hold(Note(4, "b", 1), kT0 + 3);
  EXPECT_TRUE(c.Release(kT0 + 3).empty());
  c.OnPeerAlive(1, 8, kT0 + 4);  // new incarnation
  EXPECT_EQ(Ids(c.Release(kT0 + 4)), std::vector<uint64_t>{4});
}

TEST(ClusterTest, AStartingPrimaryWaitsForAPeersSnapshotOrTheTimeout) {
  Cluster c(0, kTimeout, kT0);
  c.Hold(Note(1, "a", 1), kT0);
  EXPECT_TRUE(c.Release(kT0 + 100).empty());
  EXPECT_EQ(c.NextDeadline(kT0 + 100), kT0 + 10'000);
  c.MarkSynced();
  EXPECT_EQ(Ids(c.Release(kT0 + 200)), std::vector<uint64_t>{1});

  Cluster alone(0, kTimeout, kT0);  // no peer answers
  alone.Hold(Note(1, "a", 1), kT0);
  EXPECT_TRUE(alone.Release(kT0 + 9999).empty());
  EXPECT_EQ(Ids(alone.Release(kT0 + 10'000)), std::vector<uint64_t>{1});
}

// SILENCE and ACK are sent once: when a peer's messages are lost on the bus (a gap in its
// stream) or it restarted, the replica asks for the peer's snapshot again, as on start,
// until a complete one (its SYNCED without a gap before it) arrived.
TEST(ClusterNodeTest, LostPeerMessagesMakeItAskForASnapshot) {
  auto cfg = ParseConfig("am.yml", "route: {receiver: r}\nreceivers: [{name: r}]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  Dispatcher dispatcher(std::make_shared<const Config>(std::move(*cfg)));
  prometheus::Registry registry;
  Deliverer deliverer(registry, [](const Notification&, const DeliveryResult&) {});
  zmq::context_t ctx;
  bus::Publisher publisher(ctx, "notifier-0", registry, SystemClock());  // bound nowhere
  ClusterNode node(0, kTimeout, dispatcher, deliverer, publisher, kT0);
  uint64_t sequence = 0;
  auto from_peer = [&](cluster::NotificationLogEvent::Kind kind, bool gap, bool restarted) {
    cluster::NotificationLogEvent ev;
    ev.set_kind(kind);
    ev.set_position(1);
    ev.set_for_position(0);
    bus::Message m;
    m.topic = std::string(bus::kTopicNotificationLog);
    m.header.set_publisher("notifier-1");
    m.header.set_incarnation(restarted ? 8 : 7);
    m.header.set_sequence(++sequence);
    m.header.set_payload_type(ev.GetDescriptor()->full_name());
    m.payload = ev.SerializeAsString();
    m.gap_before = gap;
    m.publisher_restarted = restarted;
    EXPECT_TRUE(node.OnPeerMessage(m, kT0));
  };
  using Kind = cluster::NotificationLogEvent;
  EXPECT_TRUE(node.AsksForSnapshot());  // started
  from_peer(Kind::SYNCED, false, false);
  EXPECT_FALSE(node.AsksForSnapshot());
  from_peer(Kind::HEARTBEAT, false, false);
  EXPECT_FALSE(node.AsksForSnapshot());

  from_peer(Kind::HEARTBEAT, /*gap=*/true, false);  // a SILENCE may have been lost
  EXPECT_TRUE(node.AsksForSnapshot());
  from_peer(Kind::SYNCED, /*gap=*/true, false);  // part of that snapshot lost too
  EXPECT_TRUE(node.AsksForSnapshot());
  from_peer(Kind::SYNCED, false, false);
  EXPECT_FALSE(node.AsksForSnapshot());

  from_peer(Kind::HEARTBEAT, false, /*restarted=*/true);
  EXPECT_TRUE(node.AsksForSnapshot());
  from_peer(Kind::SYNCED, false, false);
  EXPECT_FALSE(node.AsksForSnapshot());
}

}  // namespace
}  // namespace vigil::notifier
