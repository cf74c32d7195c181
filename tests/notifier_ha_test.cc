// Two vigil-notifier replicas on one bus (--cluster.peer each other), fed the same alert
// events by a bus publisher standing in for the evaluator, paging one webhook that records
// every request with its Idempotency-Key. Both live: each notification arrives once. The
// primary killed with SIGKILL while groups are pending, or while the webhook fails: the
// survivor delivers each notification, none missing, and a repeat only ever carries the
// same idempotency key. Alertmanager's cluster accepts duplicates here (#1550, #4108).
// Silences and acknowledgements made on either replica hold on both, a restarted one
// included.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "prometheus/registry.h"
#include "services/notifier/rfc3339.h"
#include "services/notifier/test_support.h"
#include "tests/support/process.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil {
namespace {

using testing::FreePort;
using testing::HttpGet;
using testing::Process;
using testing::WaitFor;

constexpr int kGroups = 5;

std::string AlertName(int i) { return "HaAlert" + std::to_string(i); }

// Every group's alert firing since `active_at` (or resolved), as the evaluator publishes
// them at `now` (state-based: re-sending is harmless).
v1::AlertBatch FiringBatch(TimestampMs active_at, TimestampMs now, bool resolved) {
  v1::AlertBatch batch;
  for (int i = 0; i < kGroups; ++i) {
    notifier::AddFiringEvent(labels::Labels{{"alertname", AlertName(i)}, {"severity", "page"}},
                             now, 3'600'000, &batch);
    v1::AlertEvent* e = batch.mutable_alerts(i);
    e->set_active_at_ms(active_at);
    e->set_fired_at_ms(active_at);
    if (resolved) {
      e->set_state(v1::ALERT_STATE_INACTIVE);
      e->set_resolved_at_ms(now);
    }
  }
  return batch;
}

class NotifierHaTest : public ::testing::Test {
 protected:
  struct Replica {
    int http = 0, grpc = 0, bus = 0;
    std::unique_ptr<Process> process;
  };

  void SetUp() override {
    dir_ = testing::MakeTempDir("notifier_ha");
    auto ep = evaluator_.Bind("tcp://127.0.0.1:0");
    ASSERT_TRUE(ep.ok());
    evaluator_endpoint_ = *ep;
    for (Replica& r : replicas_) {
      r.http = FreePort();
      r.grpc = FreePort();
      r.bus = FreePort();
    }
  }
  void TearDown() override {
    for (Replica& r : replicas_) r.process.reset();
    if (!HasFailure()) testing::RemoveTree(dir_);
  }

  // Both replicas with the same configuration. Returns once both see each other alive
  // and each has had the other's log.
  void StartBoth(const std::string& group_wait) {
    testing::WriteFile(dir_ + "/am.yml",
                       "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: " +
                           group_wait +
                           "\n  group_interval: 1s\n  repeat_interval: 1h\n"
                           "receivers:\n  - name: hook\n    webhook_configs: [{url: '" +
                           webhook_.url() + "'}]\n");
    for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(Start(i));
    for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(WaitJoined(i));
  }

  // Replica i (position i) on its own storage, connected to the evaluator and to the other
  // replica's bus endpoint.
  void Start(int i) {
    Replica& r = replicas_[i];
    const std::string peer = "tcp://127.0.0.1:" + std::to_string(replicas_[1 - i].bus);
    r.process = std::make_unique<Process>(
        std::vector<std::string>{
            testing::BinDir() + "/vigil-notifier", "--config.file=" + dir_ + "/am.yml",
            "--web.listen-address=127.0.0.1:" + std::to_string(r.http),
            "--grpc.listen-address=127.0.0.1:" + std::to_string(r.grpc),
            "--bus.publish-address=tcp://127.0.0.1:" + std::to_string(r.bus),
            "--bus.connect=" + evaluator_endpoint_, "--evaluator.grpc-address=none",
            "--storage.path=" + dir_ + "/data" + std::to_string(i), "--cluster.peer=" + peer,
            "--cluster.position=" + std::to_string(i), "--cluster.peer-timeout=2s"},
        dir_, dir_ + "/notifier" + std::to_string(i) + ".log");
    // A loaded machine may take a while to start a process; WaitFor returns when ready.
    ASSERT_TRUE(WaitFor([&] { return HttpGet(r.http, "/-/ready").first == 200; },
                        std::chrono::seconds(60)))
        << Logs();
  }

  void WaitJoined(int i) {
    ASSERT_TRUE(WaitFor([&] {
      return Stat(i, "cluster_peers_live") == 1 && Stat(i, "cluster_synced") == 1;
    })) << Logs();
  }

  // Publishes the alerts until both replicas hold them all (a fresh SUB may miss the first).
  // Firing since the first call, as the evaluator sends them at every evaluation.
  void FireAll() {
    if (active_at_ == 0) active_at_ = SystemClock().NowMs();
    ASSERT_TRUE(WaitFor([&] {
      evaluator_.Publish(bus::kTopicAlerts, FiringBatch(active_at_, SystemClock().NowMs(), false));
      return Stat(0, "alerts_active") == kGroups && Stat(1, "alerts_active") == kGroups;
    })) << Logs();
  }
  void ResolveAll() {
    ASSERT_TRUE(WaitFor([&] {
      evaluator_.Publish(bus::kTopicAlerts, FiringBatch(active_at_, SystemClock().NowMs(), true));
      return Stat(0, "alerts_active") == 0 && Stat(1, "alerts_active") == 0;
    })) << Logs();
  }

  void Kill9(int i) {
    replicas_[i].process->Signal(SIGKILL);
    ASSERT_EQ(replicas_[i].process->Wait(), -SIGKILL);
  }

  double Stat(int i, const std::string& key) {
    return notifier::NotifierStat(replicas_[i].grpc, key);
  }

  std::unique_ptr<v1::Notifier::Stub> Notifier(int i) {
    return v1::Notifier::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(replicas_[i].grpc),
                            grpc::InsecureChannelCredentials()));
  }
  // Replica i's silences by id, as "state matchers..." (empty when it does not answer).
  std::map<std::string, std::string> Silences(int i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::ListSilencesResponse resp;
    std::map<std::string, std::string> out;
    if (!Notifier(i)->ListSilences(&ctx, v1::ListSilencesRequest(), &resp).ok()) return out;
    for (const v1::Silence& s : resp.silences()) {
      std::string text = s.state();
      for (const std::string& m : s.matchers()) text += " " + m;
      out[s.id()] = text;
    }
    return out;
  }
  // Replica i's acknowledgements as "who: comment", oldest first.
  std::vector<std::string> Acks(int i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::ListAcknowledgementsResponse resp;
    std::vector<std::string> out;
    if (!Notifier(i)->ListAcknowledgements(&ctx, v1::ListAcknowledgementsRequest(), &resp).ok())
      return out;
    for (const v1::Acknowledgement& a : resp.acknowledgements()) {
      out.insert(out.begin(), a.who() + ": " + a.comment());
    }
    return out;
  }
  grpc::Status Acknowledge(int i, const std::string& fingerprint, const std::string& who) {
    grpc::ClientContext ctx;
    v1::AcknowledgeRequest req;
    req.set_fingerprint(fingerprint);
    req.set_who(who);
    req.set_comment("looking");
    v1::Acknowledgement ack;
    return Notifier(i)->Acknowledge(&ctx, req, &ack);
  }

  // Nothing left to deliver on replica i: nothing held for a peer, nothing queued, and
  // every group flushed again since (so a notification still coming would be seen).
  // Replica `i` comes back on its storage, which may know nothing of what the other sent:
  // the other's snapshot of the log keeps it from sending those again. Its storage may
  // lack the alerts too (a bus alert is written after it is taken, never waited for, and
  // the kill can come first); the evaluator sends them again at its next evaluation, and
  // so does the test, once the snapshot is in. Their group_wait is long over, so every
  // group flushes at once, recovered or not; nothing more reaches the webhook.
  void RejoinSendingNothingAgain(int i) {
    ASSERT_NO_FATAL_FAILURE(Start(i));
    for (int j = 0; j < 2; ++j) ASSERT_NO_FATAL_FAILURE(WaitJoined(j));
    ASSERT_NO_FATAL_FAILURE(FireAll());
    ASSERT_EQ(Stat(i, "groups"), kGroups);
    const double flushes = Stat(i, "group_flushes") + 2 * kGroups;
    ASSERT_TRUE(WaitFor([&] { return Quiet(i, flushes); })) << QuietState() << Logs();
    EXPECT_EQ(webhook_.requests().size(), static_cast<size_t>(kGroups));
  }

  // Both live: each resolution is sent once, and every notification of the test was
  // accepted once. Resolved groups end, so nothing can follow.
  void ResolveAllOnce() {
    ASSERT_NO_FATAL_FAILURE(ResolveAll());
    ASSERT_TRUE(WaitFor([&] {
      return Stat(0, "groups") == 0 && Stat(1, "groups") == 0 && Quiet(0, 0) && Quiet(1, 0);
    })) << Logs();
    for (int i = 0; i < kGroups; ++i) {
      EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);
      EXPECT_EQ(webhook_.Accepted("resolved", AlertName(i)), 1);
    }
    EXPECT_EQ(webhook_.requests().size(), static_cast<size_t>(2 * kGroups));
    for (const auto& [key, n] : webhook_.AcceptedByKey()) EXPECT_EQ(n, 1) << key;
  }

  bool Quiet(int i, double flushes) {
    return Stat(i, "cluster_held") == 0 && Stat(i, "queue_length") == 0 &&
           Stat(i, "group_flushes") >= flushes;
  }

  // What Quiet looks at, for a failure's message.
  std::string QuietState() {
    std::string out;
    for (int i = 0; i < 2; ++i) {
      out += StrCat("replica ", i, ": cluster_held=", Stat(i, "cluster_held"),
                    " queue_length=", Stat(i, "queue_length"),
                    " group_flushes=", Stat(i, "group_flushes"), "\n");
    }
    return out;
  }

  std::set<std::string> AllKeys() {
    std::set<std::string> keys;
    for (const auto& r : webhook_.requests()) keys.insert(r.key);
    return keys;
  }

  std::string Logs() {
    std::string out;
    for (const Replica& r : replicas_) {
      if (r.process) out += r.process->Log() + "\n----\n";
    }
    return out;
  }

  std::string dir_;
  zmq::context_t ctx_;
  prometheus::Registry registry_;
  bus::Publisher evaluator_{ctx_, "evaluator", registry_, SystemClock()};
  std::string evaluator_endpoint_;
  TimestampMs active_at_ = 0;  // when the alerts started firing (FireAll)
  std::array<Replica, 2> replicas_;
  notifier::RecordingWebhook webhook_;
};

TEST_F(NotifierHaTest, BothLiveEachNotificationOnce) {
  ASSERT_NO_FATAL_FAILURE(StartBoth("1s"));
  ASSERT_NO_FATAL_FAILURE(FireAll());
  ASSERT_TRUE(WaitFor([&] { return webhook_.AcceptedByKey().size() == kGroups; })) << Logs();
  // Both replicas done, and each flushed every group twice more: the secondary recorded
  // the primary's deliveries in its own log, so it has nothing to say either.
  const double flushes = 3 * kGroups;
  ASSERT_TRUE(WaitFor([&] { return Quiet(0, flushes) && Quiet(1, flushes); })) << Logs();

  EXPECT_EQ(webhook_.requests().size(), static_cast<size_t>(kGroups));
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);
  for (const auto& [key, n] : webhook_.AcceptedByKey()) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(Stat(0, "notifications_sent") + Stat(1, "notifications_sent"), kGroups);
}

TEST_F(NotifierHaTest, PrimaryKilledWhileGroupsPendingSurvivorDeliversEachOnceThenRejoins) {
  // group_wait must outlast firing on both replicas and the kill, which take longer on a
  // loaded machine (4s was once too short under a parallel build).
  ASSERT_NO_FATAL_FAILURE(StartBoth("8s"));
  ASSERT_NO_FATAL_FAILURE(FireAll());
  ASSERT_NO_FATAL_FAILURE(Kill9(0));
  ASSERT_TRUE(webhook_.requests().empty()) << "group_wait ended before the kill";

  ASSERT_TRUE(WaitFor([&] { return webhook_.AcceptedByKey().size() == kGroups; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Quiet(1, 3 * kGroups); })) << Logs();
  EXPECT_EQ(Stat(1, "cluster_peers_live"), 0);
  EXPECT_EQ(webhook_.requests().size(), static_cast<size_t>(kGroups));
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);
  EXPECT_EQ(Stat(1, "notifications_sent"), kGroups);

  // The primary comes back and sends nothing the survivor sent.
  ASSERT_NO_FATAL_FAILURE(RejoinSendingNothingAgain(0));
  ASSERT_NO_FATAL_FAILURE(ResolveAllOnce());
}

// The other way round: the secondary dies while groups are pending. The primary delivers
// each once without it; the secondary comes back on its storage, learns from the
// primary's snapshot what was sent, and sends none of it again.
TEST_F(NotifierHaTest, SecondaryKilledWhileGroupsPendingPrimaryDeliversEachOnceThenRejoins) {
  ASSERT_NO_FATAL_FAILURE(StartBoth("8s"));
  ASSERT_NO_FATAL_FAILURE(FireAll());
  ASSERT_NO_FATAL_FAILURE(Kill9(1));
  ASSERT_TRUE(webhook_.requests().empty()) << "group_wait ended before the kill";

  ASSERT_TRUE(WaitFor([&] { return webhook_.AcceptedByKey().size() == kGroups; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Quiet(0, 3 * kGroups); })) << Logs();
  EXPECT_EQ(webhook_.requests().size(), static_cast<size_t>(kGroups));
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);
  EXPECT_EQ(Stat(0, "notifications_sent"), kGroups);

  ASSERT_NO_FATAL_FAILURE(RejoinSendingNothingAgain(1));
  ASSERT_NO_FATAL_FAILURE(ResolveAllOnce());
}

TEST_F(NotifierHaTest, PrimaryKilledWhileWebhookFailsSurvivorDeliversWithTheSameKeysAndRejoins) {
  webhook_.SetFailing(true);
  ASSERT_NO_FATAL_FAILURE(StartBoth("0s"));
  ASSERT_NO_FATAL_FAILURE(FireAll());
  // The primary is retrying every group; the secondary holds them all, waiting for it.
  ASSERT_TRUE(WaitFor([&] { return AllKeys().size() == kGroups; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Stat(1, "cluster_held") == kGroups; })) << Logs();
  const std::set<std::string> primary_keys = AllKeys();

  ASSERT_NO_FATAL_FAILURE(Kill9(0));
  // The survivor notices the silence and takes over, still against a failing webhook.
  ASSERT_TRUE(WaitFor([&] {
    return Stat(1, "cluster_peers_live") == 0 && Stat(1, "cluster_held") == 0;
  })) << Logs();
  // The primary comes back with every notification owed in its outbox. The survivor's
  // snapshot names what it is still delivering, so the primary holds its copies.
  ASSERT_NO_FATAL_FAILURE(Start(0));
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(WaitJoined(i));
  ASSERT_TRUE(WaitFor([&] { return Stat(0, "cluster_held") == kGroups; })) << Logs();
  webhook_.SetFailing(false);

  // Backoff between attempts grows to 10s: allow for a few.
  ASSERT_TRUE(WaitFor([&] { return webhook_.AcceptedByKey().size() >= kGroups; },
                      std::chrono::seconds(60)))
      << Logs();
  ASSERT_TRUE(WaitFor([&] { return Quiet(1, 3 * kGroups); })) << Logs();
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);
  // Every request, the primary's failed attempts and the survivor's, carried one of the
  // primary's keys: a receiver dropping replays by key sees each notification once.
  EXPECT_EQ(AllKeys(), primary_keys);
  for (const auto& [key, n] : webhook_.AcceptedByKey()) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(Stat(1, "notifications_sent"), kGroups);
  ASSERT_TRUE(WaitFor([&] { return Quiet(0, 3 * kGroups); })) << Logs();
  for (const auto& [key, n] : webhook_.AcceptedByKey()) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(AllKeys(), primary_keys);
}

// A silence set through either replica's API mutes on both (the primary delivers, so a
// silence only the secondary knew would not hold); an acknowledgement on one is listed on
// both; a replica down while they changed has them after its restart.
TEST_F(NotifierHaTest, SilencesAndAcknowledgementsHoldOnBothReplicasAndSurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(StartBoth("1s"));
  const TimestampMs now = SystemClock().NowMs();
  const std::string silence =
      R"({"matchers":[{"name":"alertname","value":")" + AlertName(0) +
      R"(","isRegex":false,"isEqual":true}],"startsAt":")" + notifier::FormatGoTime(now) +
      R"(","endsAt":")" + notifier::FormatGoTime(now + 3'600'000) +
      R"(","createdBy":"alice","comment":"rollout"})";
  auto posted = testing::HttpPost(replicas_[1].http, "/api/v2/silences", silence);
  ASSERT_EQ(posted.first, 200) << posted.second;
  ASSERT_TRUE(WaitFor([&] { return Silences(0).size() == 1; })) << Logs();
  const std::string id = Silences(1).begin()->first;
  EXPECT_EQ(Silences(0), Silences(1));

  ASSERT_NO_FATAL_FAILURE(FireAll());
  ASSERT_TRUE(WaitFor([&] { return webhook_.AcceptedByKey().size() == kGroups - 1; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Quiet(0, 3 * kGroups) && Quiet(1, 3 * kGroups); })) << Logs();
  EXPECT_EQ(webhook_.Accepted("firing", AlertName(0)), 0);
  for (int i = 1; i < kGroups; ++i) EXPECT_EQ(webhook_.Accepted("firing", AlertName(i)), 1);

  const std::string fp =
      labels::Labels{{"alertname", AlertName(1)}, {"severity", "page"}}.FingerprintHex();
  ASSERT_TRUE(Acknowledge(0, fp, "bob").ok());
  ASSERT_TRUE(WaitFor([&] { return Acks(1).size() == 1; })) << Logs();
  EXPECT_EQ(Acks(1), std::vector<std::string>{"bob: looking"});

  // The secondary is down while the silence is expired and another acknowledgement made.
  // It may not have stored bob's yet (a peer's acknowledgement is written after it is
  // taken, never waited for): then the primary's snapshot brings both back, in order.
  ASSERT_NO_FATAL_FAILURE(Kill9(1));
  {
    grpc::ClientContext ctx;
    v1::ExpireSilenceRequest req;
    req.set_id(id);
    v1::Silence expired;
    ASSERT_TRUE(Notifier(0)->ExpireSilence(&ctx, req, &expired).ok());
  }
  ASSERT_TRUE(Acknowledge(0, fp, "carol").ok());
  ASSERT_NO_FATAL_FAILURE(Start(1));
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(WaitJoined(i));
  ASSERT_TRUE(WaitFor([&] { return Acks(1).size() == 2; })) << Logs();
  EXPECT_EQ(Acks(1), (std::vector<std::string>{"bob: looking", "carol: looking"}));
  EXPECT_EQ(Acks(0), Acks(1));
  ASSERT_EQ(Silences(1).size(), 1u);
  EXPECT_EQ(Silences(1).begin()->second, "expired alertname=\"" + AlertName(0) + "\"");
  EXPECT_EQ(Silences(0), Silences(1));
}

}  // namespace
}  // namespace vigil
