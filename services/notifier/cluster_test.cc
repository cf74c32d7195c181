#include "services/notifier/cluster.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "lib/base/format.h"
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
  Cluster c(0, kTimeout);
  c.Start(kT0);
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
  Cluster c(1, kTimeout);
  c.Start(kT0);
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
  Cluster c(1, kTimeout);
  c.Start(kT0);
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
  Cluster c(1, kTimeout);
  c.Start(kT0);
  c.Hold(Note(1, "a", 1), kT0 + 100);
  EXPECT_TRUE(c.Release(kT0 + 9000).empty());
  EXPECT_EQ(c.NextDeadline(kT0 + 9000), kT0 + 10'000);
  // Nobody spoke up within the timeout: the secondary is on its own.
  EXPECT_EQ(Ids(c.Release(kT0 + 10'000)), std::vector<uint64_t>{1});
}

TEST(ClusterTest, ARestartedPeerFinishesNoOldIntentAndNewerNotificationsSupersede) {
  Cluster c(0, kTimeout);
  c.Start(kT0);
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
  Cluster c(0, kTimeout);
  c.Start(kT0);
  c.Hold(Note(1, "a", 1), kT0);
  EXPECT_TRUE(c.Release(kT0 + 100).empty());
  EXPECT_EQ(c.NextDeadline(kT0 + 100), kT0 + 10'000);
  c.MarkSynced();
  EXPECT_EQ(Ids(c.Release(kT0 + 200)), std::vector<uint64_t>{1});

  Cluster alone(0, kTimeout);  // no peer answers
  alone.Start(kT0);
  alone.Hold(Note(1, "a", 1), kT0);
  EXPECT_TRUE(alone.Release(kT0 + 9999).empty());
  EXPECT_EQ(Ids(alone.Release(kT0 + 10'000)), std::vector<uint64_t>{1});
}

// A replica is built, and handed the notifications owed from its last run, before its
// servers start and its bus is up; a slow start (a loaded machine) may take longer than
// peer_timeout. Its peers could not tell it anything meanwhile: the wait for them counts
// from Start, or it would deliver again what a peer delivered while it was down.
TEST(ClusterTest, TheWaitForPeersCountsFromStartNotFromConstruction) {
  const TimestampMs start = kT0 + 15'000;  // a start slower than peer_timeout
  Cluster c(0, kTimeout);
  c.Hold(Note(1, "a", 1), kT0);
  EXPECT_TRUE(c.Release(start).empty());  // not started: it cannot have heard anyone
  c.Start(start);
  EXPECT_TRUE(c.Release(start).empty());
  EXPECT_EQ(c.NextDeadline(start), start + 10'000);
  EXPECT_TRUE(c.Release(start + 9999).empty());
  EXPECT_EQ(Ids(c.Release(start + 10'000)), std::vector<uint64_t>{1});

  // A secondary's turn for what it held before Start also counts from Start: the primary,
  // alive, whose snapshot did not mention it, may be about to deliver it.
  Cluster s(1, kTimeout);
  s.Hold(Note(1, "a", 1), kT0);
  s.Start(start);
  s.OnPeerAlive(0, 7, start + 100);
  s.MarkSynced();
  EXPECT_TRUE(s.Release(start + 100).empty());
  EXPECT_EQ(s.NextDeadline(start + 100), start + 10'000);
  s.OnPeerAlive(0, 7, start + 9000);
  EXPECT_TRUE(s.Release(start + 9999).empty());
  EXPECT_EQ(Ids(s.Release(start + 10'000)), std::vector<uint64_t>{1});
}

using Kind = v1::NotificationLogEvent;

std::shared_ptr<const Config> OneReceiver() {
  auto cfg = ParseConfig("am.yml", "route: {receiver: r}\nreceivers: [{name: r}]\n");
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return std::make_shared<const Config>(std::move(*cfg));
}

// A replica's core and its bus ends, driven by the test in virtual time.
struct Replica {
  Replica(zmq::context_t& ctx, int position, const Clock& clock, int send_hwm = 10000,
          int receive_hwm = 100000)
      : dispatcher(OneReceiver()),
        deliverer(registry, [](const Notification&, const DeliveryResult&) {}),
        publisher(ctx, StrCat("notifier-", position), registry, clock, send_hwm),
        subscriber(ctx, registry, receive_hwm),
        node(position, kTimeout, dispatcher, deliverer, publisher) {
    node.Start(clock.NowMs());
  }

  // -1 when there is no such stat.
  double Stat(const std::string& name) const {
    google::protobuf::Map<std::string, double> stats;
    node.AddStats(&stats, kT0);
    auto it = stats.find(name);
    return it == stats.end() ? -1 : it->second;
  }

  prometheus::Registry registry;
  Dispatcher dispatcher;
  Deliverer deliverer;
  bus::Publisher publisher;  // bound to nothing unless a test binds it
  bus::Subscriber subscriber;
  ClusterNode node;
};

// Hand-made nflog messages from the replica at position 1, numbered as its publisher
// would number them.
class FakePeer {
 public:
  FakePeer(ClusterNode& node, const Clock& clock) : node_(node), clock_(clock) {}

  // Returns the message's bus sequence; the `lost` messages before it never arrive.
  uint64_t Send(Kind::Kind kind, uint64_t lost = 0, uint64_t snapshot_start = 0) {
    Kind ev;
    ev.set_kind(kind);
    ev.set_for_position(0);
    ev.set_stream_key(StrCat("stream-", sequence_));
    ev.set_sequence(1);
    ev.set_snapshot_start(snapshot_start);
    return SendEvent(std::move(ev), lost);
  }
  // A heartbeat asking for a snapshot (or not), reporting `received` of position 0's
  // messages; `paced` false: from a replica of the version before pacing (no report).
  uint64_t Heartbeat(bool needs_sync, uint64_t received, bool paced = true) {
    Kind ev;
    ev.set_kind(Kind::HEARTBEAT);
    ev.set_needs_sync(needs_sync);
    ev.set_paced(paced);
    if (paced) (*ev.mutable_received())[0] = received;
    return SendEvent(std::move(ev));
  }
  uint64_t SendEvent(Kind ev, uint64_t lost = 0) {
    ev.set_position(1);
    bus::Message m;
    m.topic = std::string(bus::kTopicNotificationLog);
    m.header.set_publisher("notifier-1");
    m.header.set_incarnation(incarnation_);
    sequence_ += lost + 1;
    m.header.set_sequence(sequence_);
    m.header.set_payload_type(ev.GetDescriptor()->full_name());
    m.payload = ev.SerializeAsString();
    m.gap_before = lost > 0 && !restarted_;
    m.publisher_restarted = restarted_;
    restarted_ = false;
    EXPECT_TRUE(node_.OnPeerMessage(m, clock_.NowMs()));
    return sequence_;
  }
  // A snapshot of `size` messages and its SYNCED; `lost_at` > 0: the message at that
  // place in it is lost.
  void Snapshot(int size, int lost_at = 0) {
    const uint64_t start = sequence_ + 1;
    for (int i = 0; i < size; ++i) Send(Kind::DELIVERED, lost_at != 0 && i == lost_at ? 1 : 0);
    Send(Kind::SYNCED, 0, start);
  }
  void Restart() {
    ++incarnation_;
    sequence_ = 0;
    restarted_ = true;
  }

 private:
  ClusterNode& node_;
  const Clock& clock_;
  uint64_t incarnation_ = 7;
  uint64_t sequence_ = 0;
  bool restarted_ = false;
};

// SILENCE and ACK are sent once: when a peer's messages are lost on the bus (a gap in its
// stream) or it restarted, the replica asks for the peer's snapshot again, as on start,
// until a complete one arrived.
TEST(ClusterNodeTest, LostPeerMessagesMakeItAskForASnapshot) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica r(ctx, 0, clock);
  FakePeer peer(r.node, clock);
  EXPECT_TRUE(r.node.AsksForSnapshot());  // started
  peer.Snapshot(2);
  EXPECT_FALSE(r.node.AsksForSnapshot());
  peer.Send(Kind::HEARTBEAT);
  EXPECT_FALSE(r.node.AsksForSnapshot());

  peer.Send(Kind::HEARTBEAT, /*lost=*/1);  // a SILENCE may have been lost
  EXPECT_TRUE(r.node.AsksForSnapshot());
  const uint64_t start = peer.Send(Kind::DELIVERED);
  peer.Send(Kind::SYNCED, /*lost=*/1, start);  // the end of that snapshot lost
  EXPECT_TRUE(r.node.AsksForSnapshot());
  peer.Snapshot(0);  // nothing lost since it started: complete
  EXPECT_FALSE(r.node.AsksForSnapshot());

  peer.Restart();
  peer.Send(Kind::HEARTBEAT);
  EXPECT_TRUE(r.node.AsksForSnapshot());
  peer.Snapshot(1);
  EXPECT_FALSE(r.node.AsksForSnapshot());
  EXPECT_EQ(r.Stat("cluster_snapshots_incomplete"), 1);
}

// The check is on the whole snapshot, not on the message before its SYNCED: a loss in its
// middle (a SILENCE of it, say) leaves the replica asking.
TEST(ClusterNodeTest, ASnapshotWithMessagesLostInItsMiddleIsIncomplete) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica r(ctx, 0, clock);
  FakePeer peer(r.node, clock);
  peer.Snapshot(3);
  EXPECT_FALSE(r.node.AsksForSnapshot());

  peer.Send(Kind::HEARTBEAT, /*lost=*/1);
  EXPECT_TRUE(r.node.AsksForSnapshot());
  peer.Snapshot(5, /*lost_at=*/2);
  EXPECT_TRUE(r.node.AsksForSnapshot());
  EXPECT_EQ(r.Stat("cluster_snapshots_incomplete"), 1);
  // A loss before a snapshot started is what it repairs.
  peer.Send(Kind::HEARTBEAT, /*lost=*/3);
  peer.Snapshot(5);
  EXPECT_FALSE(r.node.AsksForSnapshot());
}

std::vector<Kind> Drain(bus::Subscriber& sub) {
  std::vector<Kind> out;
  while (auto m = sub.Receive()) {
    Kind ev;
    EXPECT_TRUE(m->ParseAs(&ev));
    out.push_back(std::move(ev));
  }
  return out;
}

// Binds `r`'s publisher to `endpoint` and reads its nflog messages there.
struct Tap {
  Tap(zmq::context_t& ctx, Replica& r, const std::string& endpoint) : sub(ctx, registry) {
    auto bound = r.publisher.Bind(endpoint);
    EXPECT_TRUE(bound.ok()) << bound.status();
    sub.Connect(*bound);
    sub.Subscribe(std::string(bus::kTopicNotificationLog));
  }
  prometheus::Registry registry;
  bus::Subscriber sub;
};

// A replica without an answer asks again at doubling intervals, from the heartbeat's up to
// twice the peer timeout, not on every heartbeat; once a snapshot came, a new loss is asked
// about at once.
TEST(ClusterNodeTest, SnapshotRequestsBackOffWhileNoPeerAnswers) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica r(ctx, 0, clock);
  Tap tap(ctx, r, "inproc://replica-0");

  std::vector<TimestampMs> asked;
  auto run_until = [&](TimestampMs until) {
    for (; clock.NowMs() <= until; clock.Advance(absl::Milliseconds(100))) {
      r.node.Heartbeat(clock.NowMs());
      for (const Kind& ev : Drain(tap.sub)) {
        if (ev.kind() == Kind::HEARTBEAT && ev.needs_sync()) asked.push_back(clock.NowMs());
      }
    }
  };
  run_until(kT0 + 300'000);
  const TimestampMs heartbeat = absl::ToInt64Milliseconds(kTimeout) / 5;
  const TimestampMs cap = 2 * absl::ToInt64Milliseconds(kTimeout);
  std::vector<TimestampMs> intervals, expected;
  for (size_t i = 1; i < asked.size(); ++i) {
    intervals.push_back(asked[i] - asked[i - 1]);
    expected.push_back(std::min(heartbeat << std::min<size_t>(i - 1, 20), cap));
  }
  EXPECT_EQ(asked.front(), kT0);  // at start, at once
  EXPECT_EQ(intervals, expected);
  EXPECT_EQ(r.Stat("cluster_snapshot_requests"), static_cast<double>(asked.size()));

  // A peer heard for the first time (it started after this replica) is someone new to
  // ask: at the next heartbeat, not after the back-off reached so far.
  FakePeer peer(r.node, clock);
  asked.clear();
  peer.Send(Kind::HEARTBEAT);
  ASSERT_EQ(clock.NowMs(), kT0 + 300'100);
  run_until(kT0 + 302'000);
  EXPECT_EQ(asked, std::vector<TimestampMs>{kT0 + 302'000});  // heartbeats every 2 s
  peer.Snapshot(1);
  EXPECT_FALSE(r.node.AsksForSnapshot());
  asked.clear();
  run_until(clock.NowMs() + 10'000);
  EXPECT_TRUE(asked.empty());
  peer.Send(Kind::HEARTBEAT, /*lost=*/1);
  const TimestampMs lost_at = clock.NowMs();
  run_until(lost_at);
  EXPECT_EQ(asked, std::vector<TimestampMs>{lost_at});
}

LogEntry Entry(uint64_t fingerprint) {
  LogEntry e;
  e.firing.insert(fingerprint);
  e.timestamp_ms = kT0;
  e.sequence = 1;
  return e;
}

// Connects replicas `a` and `b` over inproc (`name` tells the endpoints apart) and runs both
// loops until neither asks for a snapshot, calling `each_turn(turn)` after every turn. Each
// turn both replicas run their loop once; virtual time moves only when no message was in
// flight, so the pace is the replicas' own.
void SyncPair(Replica& a, Replica& b, ManualClock& clock, const std::string& name,
              const std::function<void(int)>& each_turn = nullptr) {
  auto a_endpoint = a.publisher.Bind(StrCat("inproc://", name, "-a"));
  auto b_endpoint = b.publisher.Bind(StrCat("inproc://", name, "-b"));
  ASSERT_TRUE(a_endpoint.ok() && b_endpoint.ok());
  a.subscriber.Connect(*b_endpoint);
  b.subscriber.Connect(*a_endpoint);
  for (Replica* r : {&a, &b}) r->subscriber.Subscribe(std::string(bus::kTopicNotificationLog));
  for (int turn = 0; turn < 20'000 && (a.node.AsksForSnapshot() || b.node.AsksForSnapshot());
       ++turn) {
    const TimestampMs now = clock.NowMs();
    bool moved = false;
    for (Replica* r : {&a, &b}) {
      r->node.Heartbeat(now);
      while (auto m = r->subscriber.Receive()) {
        moved = true;
        EXPECT_TRUE(r->node.OnPeerMessage(*m, now));
      }
    }
    if (each_turn) each_turn(turn);
    if (!moved) clock.Advance(absl::Milliseconds(100));
  }
}

// A snapshot much larger than the publisher's send high-water mark (ZeroMQ drops what
// overflows it) arrives whole on the first request, and live messages published while it
// is sent arrive too: the sender keeps only a window of it unacknowledged.
TEST(ClusterNodeTest, ASnapshotLargerThanTheHighWaterMarkArrivesWholeOnOneRequest) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  constexpr int kHwm = 16;
  constexpr int kEntries = 500;
  // Over inproc a queue holds the sender's send mark plus the receiver's receive mark.
  Replica a(ctx, 0, clock, /*send_hwm=*/kHwm);
  Replica b(ctx, 1, clock, /*send_hwm=*/10000, /*receive_hwm=*/kHwm);
  for (int i = 0; i < kEntries; ++i) a.dispatcher.OnPeerLog(StrCat("stream-", i), Entry(i), true);
  int live = 0;
  ASSERT_NO_FATAL_FAILURE(SyncPair(a, b, clock, "replica", [&](int turn) {
    if (turn % 5 == 0 && turn < 200) {  // a delivers meanwhile
      a.publisher.Publish(bus::kTopicNotificationLog,
                          LogEvent(Kind::DELIVERED, 0, StrCat("live-", live++), Entry(1)));
    }
  }));
  EXPECT_FALSE(b.node.AsksForSnapshot());
  EXPECT_FALSE(a.node.AsksForSnapshot());
  EXPECT_EQ(b.subscriber.dropped(), 0u);
  EXPECT_EQ(b.dispatcher.delivered_log().entries().size(), static_cast<size_t>(kEntries + live));
  EXPECT_EQ(b.Stat("cluster_snapshot_requests"), 1);
  EXPECT_EQ(a.Stat("cluster_snapshots_served"), 1);
  EXPECT_EQ(b.Stat("cluster_snapshots_served"), 1);  // a's, empty
}

// A replica that lacks acknowledgements (it was down, or its store lost what it had merged
// when it was killed) takes them from a peer's snapshot and lists them as the peer does, by
// the time they were made (each replica numbers its own in the order they arrive, so the
// numbers differ; the listing does not).
TEST(ClusterNodeTest, ASnapshotsAcknowledgementsAreListedAsTheSenderListsThem) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica a(ctx, 0, clock);
  Replica b(ctx, 1, clock);
  for (const char* who : {"bob", "carol", "dave"}) {
    v1::Acknowledgement ack;
    ack.set_fingerprint("5874c3a16d356026");
    ack.set_who(who);
    ack.set_comment("looking");
    ack.set_at_ms(clock.NowMs());
    ASSERT_TRUE(a.dispatcher.MergeAcknowledgement(ack, clock.NowMs()));
    clock.Advance(absl::Seconds(1));
  }
  ASSERT_NO_FATAL_FAILURE(SyncPair(a, b, clock, "acks"));
  ASSERT_FALSE(b.node.AsksForSnapshot());
  auto whos = [](const Replica& r) {
    std::vector<std::string> out;  // newest first
    for (const v1::Acknowledgement& ack : r.dispatcher.Acknowledgements(0)) {
      out.push_back(ack.who());
    }
    return out;
  };
  EXPECT_EQ(whos(b), (std::vector<std::string>{"dave", "carol", "bob"}));
  EXPECT_EQ(whos(b), whos(a));
}

// A snapshot whose asker's reports never catch up (the sender's messages stopped reaching
// it, or its reports ours) is not kept forever, ignoring the asker's requests: after
// peer_timeout without sending any of it, it is dropped, and the next request starts over.
TEST(ClusterNodeTest, ASnapshotWhoseAskerNeverReportsProgressIsStartedAgain) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica r(ctx, 0, clock, /*send_hwm=*/16);  // a window of 4 messages
  for (int i = 0; i < 100; ++i) r.dispatcher.OnPeerLog(StrCat("stream-", i), Entry(i), true);
  Tap tap(ctx, r, "inproc://replica-stalled");

  FakePeer peer(r.node, clock);
  std::string first;                 // the snapshot's first message's stream
  std::vector<TimestampMs> started;  // when that message went out
  for (; clock.NowMs() < kT0 + 60'000; clock.Advance(absl::Seconds(1))) {
    peer.Heartbeat(/*needs_sync=*/true, /*received=*/0);  // alive, asking, nothing received
    r.node.Heartbeat(clock.NowMs());
    for (const Kind& ev : Drain(tap.sub)) {
      if (ev.for_position() != 1 || ev.kind() != Kind::DELIVERED) continue;
      if (first.empty()) first = ev.stream_key();
      if (ev.stream_key() == first) started.push_back(clock.NowMs());
    }
  }
  const std::vector<TimestampMs> expected = {kT0,          kT0 + 10'000, kT0 + 20'000,
                                             kT0 + 30'000, kT0 + 40'000, kT0 + 50'000};
  EXPECT_EQ(started, expected);
  EXPECT_EQ(r.Stat("cluster_snapshots_sending"), 1);
  EXPECT_EQ(r.Stat("cluster_snapshots_served"), 0);
}

// A peer of the version before pacing reports nothing received (its heartbeats are not
// `paced`): it gets each snapshot it asks for whole, as that version sent them, and its
// SYNCED (no snapshot_start) counts when nothing was lost right before it, its rule.
TEST(ClusterNodeTest, APeerOfTheVersionBeforePacingIsServedAndSyncedAsBefore) {
  zmq::context_t ctx;
  ManualClock clock(FromMs(kT0));
  Replica r(ctx, 0, clock);
  for (int i = 0; i < 50; ++i) r.dispatcher.OnPeerLog(StrCat("stream-", i), Entry(i), true);
  Tap tap(ctx, r, "inproc://replica-legacy");

  FakePeer peer(r.node, clock);
  for (int request = 0; request < 2; ++request) {  // the second: it lost part of the first
    peer.Heartbeat(/*needs_sync=*/true, /*received=*/0, /*paced=*/false);
    std::vector<Kind> got = Drain(tap.sub);
    ASSERT_EQ(got.size(), 51u) << request;
    EXPECT_EQ(got.back().kind(), Kind::SYNCED);
    EXPECT_TRUE(
        std::none_of(got.begin(), got.end(), [](const Kind& ev) { return ev.progress_wanted(); }));
    clock.Advance(absl::Seconds(2));
  }
  EXPECT_EQ(r.Stat("cluster_snapshots_served"), 2);

  EXPECT_TRUE(r.node.AsksForSnapshot());
  peer.Send(Kind::DELIVERED);
  peer.Send(Kind::SYNCED, /*lost=*/1);  // a loss right before it: incomplete
  EXPECT_TRUE(r.node.AsksForSnapshot());
  peer.Send(Kind::DELIVERED);
  peer.Send(Kind::SYNCED);
  EXPECT_FALSE(r.node.AsksForSnapshot());
}

}  // namespace
}  // namespace vigil::notifier
