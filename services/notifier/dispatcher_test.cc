#include "services/notifier/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vigil::notifier {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr TimestampMs kS = 1000;
constexpr TimestampMs kM = 60 * kS;
constexpr TimestampMs kH = 60 * kM;
constexpr TimestampMs kT0 = 1'700'000'000'000;

constexpr char kConfig[] = R"(
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="P0"']
      receiver: pager
      continue: true
    - matchers: ['team="db"']
      receiver: quiet
receivers:
  - name: hook
    webhook_configs: [{url: "http://127.0.0.1:1/hook"}]
  - name: pager
    webhook_configs: [{url: "http://127.0.0.1:1/pager"}]
  - name: quiet
    file_configs: [{path: /tmp/x.jsonl, send_resolved: false}]
)";

std::shared_ptr<const Config> TestConfig(const char* text = kConfig) {
  auto cfg = ParseConfig("am.yml", text);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return std::make_shared<const Config>(std::move(*cfg));
}

v1::AlertEvent Event(const labels::Labels& ls, v1::AlertState state, TimestampMs fired_at,
                     TimestampMs until_or_resolved, TimestampMs event_time) {
  v1::AlertEvent e;
  for (const labels::LabelView& l : ls) {
    v1::Label* p = e.add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  e.set_fingerprint(ls.FingerprintHex());
  e.set_state(state);
  e.set_active_at_ms(fired_at);
  e.set_fired_at_ms(fired_at);
  if (state == v1::ALERT_STATE_INACTIVE) {
    e.set_resolved_at_ms(until_or_resolved);
  } else {
    e.set_valid_until_ms(until_or_resolved);
  }
  e.set_event_time_ms(event_time);
  return e;
}

v1::AlertBatch Batch(std::initializer_list<v1::AlertEvent> events) {
  v1::AlertBatch b;
  for (const auto& e : events) *b.add_alerts() = e;
  return b;
}

// A firing event at `now`, valid for 4 minutes (as the evaluator re-sends it).
v1::AlertEvent Firing(const labels::Labels& ls, TimestampMs fired_at, TimestampMs now) {
  return Event(ls, v1::ALERT_STATE_FIRING, fired_at, now + 4 * kM, now);
}
v1::AlertEvent Resolved(const labels::Labels& ls, TimestampMs fired_at, TimestampMs at) {
  return Event(ls, v1::ALERT_STATE_INACTIVE, fired_at, at, at);
}

std::vector<std::string> Keys(const std::vector<Notification>& ns) {
  std::vector<std::string> out;
  for (const auto& n : ns) out.push_back(n.receiver + " " + n.group_key + " " + n.status);
  return out;
}

const labels::Labels kA{{"alertname", "X"}, {"instance", "a"}};
const labels::Labels kB{{"alertname", "X"}, {"instance", "b"}};

TEST(DispatcherTest, GroupWaitThenGroupIntervalForNewAlerts) {
  Dispatcher d(TestConfig());
  auto r = d.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(d.Groups(), 1u);
  EXPECT_EQ(d.NextDeadline(), kT0 + 30 * kS);
  EXPECT_THAT(d.Tick(kT0 + 29 * kS), IsEmpty());

  auto first = d.Tick(kT0 + 30 * kS);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].group_key, R"({}:{alertname="X"})");
  EXPECT_EQ(first[0].receiver, "hook");
  EXPECT_EQ(first[0].status, "firing");
  EXPECT_EQ(first[0].sequence, 1u);
  EXPECT_EQ(first[0].IdempotencyKey(), R"({}:{alertname="X"}/1)");
  EXPECT_THAT(first[0].fingerprints, ElementsAre(kA.FingerprintHex()));
  EXPECT_EQ(d.NextDeadline(), kT0 + 30 * kS + 5 * kM);

  // A second alert joins the group: notified at the next group_interval, not before.
  d.OnAlerts(Batch({Firing(kA, kT0, kT0 + kM), Firing(kB, kT0 + kM, kT0 + kM)}), kT0 + kM);
  EXPECT_THAT(d.Tick(kT0 + 2 * kM), IsEmpty());
  d.OnAlerts(Batch({Firing(kA, kT0, kT0 + 4 * kM), Firing(kB, kT0 + kM, kT0 + 4 * kM)}),
             kT0 + 4 * kM);
  auto second = d.Tick(kT0 + 30 * kS + 5 * kM);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].sequence, 2u);
  EXPECT_THAT(second[0].fingerprints, ElementsAre(kA.FingerprintHex(), kB.FingerprintHex()));
  auto body = nlohmann::json::parse(second[0].body);
  EXPECT_EQ(body["alerts"].size(), 2u);
  EXPECT_EQ(body["groupKey"], R"({}:{alertname="X"})");
}

TEST(DispatcherTest, UnchangedGroupRepeatsOnlyAfterRepeatInterval) {
  Dispatcher d(TestConfig());
  TimestampMs now = kT0;
  d.OnAlerts(Batch({Firing(kA, kT0, now)}), now);
  int notified = 0;
  std::vector<TimestampMs> sent_at;
  // Re-send every minute, as the evaluator does, for 4.5 hours.
  for (; now <= kT0 + 4 * kH + 30 * kM; now += kM) {
    d.OnAlerts(Batch({Firing(kA, kT0, now)}), now);
    for (const auto& n : d.Tick(now)) {
      ++notified;
      sent_at.push_back(n.created_ms);
    }
  }
  // After group_wait, and again at the first group_interval flush after 4h had passed
  // (Alertmanager's strict "before now - repeat_interval").
  ASSERT_EQ(notified, 2);
  EXPECT_EQ(sent_at[0], kT0 + kM);  // first tick at or after group_wait (1-minute steps)
  EXPECT_EQ(sent_at[1], kT0 + kM + 4 * kH + 5 * kM);
}

TEST(DispatcherTest, ResolvedIsSentOnceThenDropped) {
  Dispatcher d(TestConfig());
  // Every notification is delivered: what lets a flush's resolved alerts go.
  auto delivered = [&](std::vector<Notification> ns) {
    for (const Notification& n : ns) {
      d.OnDeliveryResult({.id = n.id, .final = true, .delivered = true, .attempts = 1});
    }
    return ns;
  };
  d.OnAlerts(Batch({Firing(kA, kT0, kT0), Firing(kB, kT0, kT0)}), kT0);
  ASSERT_EQ(delivered(d.Tick(kT0 + 30 * kS)).size(), 1u);
  EXPECT_EQ(d.ActiveAlerts(kT0 + 30 * kS), 2u);

  // A resolves; B is kept alive.
  d.OnAlerts(Batch({Resolved(kA, kT0, kT0 + kM), Firing(kB, kT0, kT0 + 2 * kM)}), kT0 + 2 * kM);
  EXPECT_EQ(d.ActiveAlerts(kT0 + 2 * kM), 1u);
  auto ns = delivered(d.Tick(kT0 + 30 * kS + 5 * kM));
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].status, "firing");  // B still fires
  auto body = nlohmann::json::parse(ns[0].body);
  ASSERT_EQ(body["alerts"].size(), 2u);
  EXPECT_EQ(body["alerts"][0]["status"], "resolved");
  EXPECT_EQ(body["alerts"][1]["status"], "firing");

  // B expires without a re-send (valid_until passed): resolved by itself.
  auto last = d.Tick(kT0 + 30 * kS + 10 * kM);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].status, "resolved");
  EXPECT_THAT(last[0].fingerprints, ElementsAre(kB.FingerprintHex()));
  // Kept until that notification is delivered (as Alertmanager deletes resolved alerts
  // after a successful notify); then the group is empty and goes at its next flush.
  EXPECT_EQ(d.Groups(), 1u);
  delivered(last);
  EXPECT_THAT(d.Tick(d.NextDeadline()), IsEmpty());
  EXPECT_EQ(d.Groups(), 0u);
  EXPECT_EQ(d.NextDeadline(), Dispatcher::kNever);

  // The same resolved event again (idempotent): no new notification.
  d.OnAlerts(Batch({Resolved(kA, kT0, kT0 + kM)}), kT0 + 11 * kM);
  EXPECT_THAT(d.Tick(kT0 + 12 * kM), IsEmpty());
  EXPECT_THAT(d.Tick(kT0 + 20 * kM), IsEmpty());
}

TEST(DispatcherTest, SendResolvedFalseSkipsResolvedButNotifiesRefiring) {
  Dispatcher d(TestConfig());
  const labels::Labels db{{"alertname", "Disk"}, {"team", "db"}};
  d.OnAlerts(Batch({Firing(db, kT0, kT0)}), kT0);
  EXPECT_THAT(Keys(d.Tick(kT0 + 30 * kS)),
              ElementsAre(R"(quiet {}/{team="db"}:{alertname="Disk"} firing)"));
  d.OnAlerts(Batch({Resolved(db, kT0, kT0 + kM)}), kT0 + kM);
  EXPECT_THAT(d.Tick(kT0 + 30 * kS + 5 * kM), IsEmpty());
  EXPECT_EQ(d.Groups(), 0u);
  // Fires again: a new group, notified after group_wait.
  d.OnAlerts(Batch({Firing(db, kT0 + 7 * kM, kT0 + 7 * kM)}), kT0 + 7 * kM);
  EXPECT_THAT(Keys(d.Tick(kT0 + 7 * kM + 30 * kS)),
              ElementsAre(R"(quiet {}/{team="db"}:{alertname="Disk"} firing)"));
}

TEST(DispatcherTest, ContinueRoutesIntoSeveralGroups) {
  Dispatcher d(TestConfig());
  d.OnAlerts(Batch({Firing({{"alertname", "Down"}, {"severity", "P0"}, {"team", "db"}}, kT0, kT0)}),
             kT0);
  EXPECT_EQ(d.Groups(), 2u);
  EXPECT_THAT(Keys(d.Tick(kT0 + 30 * kS)),
              ElementsAre(R"(pager {}/{severity="P0"}:{alertname="Down"} firing)",
                          R"(quiet {}/{team="db"}:{alertname="Down"} firing)"));
}

TEST(DispatcherTest, ListsActiveAlertsWithTheirReceivers) {
  Dispatcher d(TestConfig());
  d.OnAlerts(Batch({Firing({{"alertname", "Down"}, {"severity", "P0"}, {"team", "db"}}, kT0, kT0),
                    Firing(kA, kT0, kT0), Resolved(kB, kT0, kT0)}),
             kT0 + kS);
  auto alerts = d.ListAlerts(kT0 + kS);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].alert.labels, kA);
  EXPECT_THAT(alerts[0].receivers, ElementsAre("hook"));
  EXPECT_THAT(alerts[1].receivers, ElementsAre("pager", "quiet"));
}

TEST(DispatcherTest, OldAlertFlushesAtOnceAndPendingAndInvalidAreNotNotified) {
  Dispatcher d(TestConfig());
  v1::AlertEvent pending = Firing({{"alertname", "P"}}, kT0, kT0);
  pending.set_state(v1::ALERT_STATE_PENDING);
  v1::AlertEvent no_labels;
  no_labels.set_state(v1::ALERT_STATE_FIRING);
  v1::AlertEvent bad_fp = Firing({{"alertname", "Q"}}, kT0, kT0);
  bad_fp.set_fingerprint("0000000000000001");
  auto r = d.OnAlerts(Batch({pending, no_labels, bad_fp, Firing(kA, kT0 - 10 * kM, kT0)}), kT0);
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(r.ignored, 1);
  EXPECT_EQ(r.invalid, 2);
  EXPECT_FALSE(r.first_error.empty());
  // kA fired 10 minutes ago: its group_wait is over already.
  EXPECT_EQ(d.NextDeadline(), kT0);
  EXPECT_EQ(d.Tick(kT0).size(), 1u);
}

TEST(DispatcherTest, DeliveryResultsFeedHistoryStatsAndProblems) {
  Dispatcher d(TestConfig());
  d.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  auto ns = d.Tick(kT0 + 30 * kS);
  ASSERT_EQ(ns.size(), 1u);
  auto recent = d.RecentNotifications(0);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_FALSE(recent[0].delivered());
  EXPECT_EQ(recent[0].group_key(), ns[0].group_key);

  d.OnDeliveryResult(
      {.id = ns[0].id, .final = false, .attempts = 1, .error = "connection refused"});
  ASSERT_EQ(d.Problems().size(), 1u);
  EXPECT_EQ(d.Problems()[0], R"(receiver "hook": last delivery failed: connection refused)");
  d.OnDeliveryResult({.id = ns[0].id, .final = true, .delivered = true, .attempts = 2});
  EXPECT_THAT(d.Problems(), IsEmpty());
  EXPECT_EQ(d.notifications_sent(), 1u);
  EXPECT_EQ(d.notifications_failed(), 0u);
  recent = d.RecentNotifications(1);
  EXPECT_TRUE(recent[0].delivered());
  EXPECT_EQ(recent[0].attempts(), 2u);
}

TEST(DispatcherTest, ReloadRebuildsGroupsWithoutResending) {
  Dispatcher d(TestConfig());
  d.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  ASSERT_EQ(d.Tick(kT0 + 30 * kS).size(), 1u);
  d.ApplyConfig(TestConfig(), kT0 + kM);
  EXPECT_EQ(d.Groups(), 1u);
  // The alert started long enough ago to flush at once, but nothing changed.
  EXPECT_THAT(d.Tick(kT0 + kM), IsEmpty());
  d.OnAlerts(Batch({Firing(kB, kT0 + 2 * kM, kT0 + 2 * kM)}), kT0 + 2 * kM);
  EXPECT_EQ(d.Tick(kT0 + kM + 5 * kM).size(), 1u);
}

}  // namespace
}  // namespace vigil::notifier

namespace vigil::notifier {
namespace {

// HA: replica B records what replica A delivered, so it owes nothing, sends nothing for
// it later, and numbers its next notification of the stream as A does.
TEST(DispatcherPeerTest, PeerDeliveryIsRecordedAsOursAndSequencesFollow) {
  const labels::Labels ls{{"alertname", "Peer"}};
  Dispatcher a(TestConfig()), b(TestConfig());
  auto firing = [](const labels::Labels& l, TimestampMs at) {
    return Batch({Event(l, v1::ALERT_STATE_FIRING, at, at + 10 * kH, at)});
  };
  for (Dispatcher* d : {&a, &b}) d->OnAlerts(firing(ls, kT0), kT0);
  std::vector<Notification> from_a = a.Tick(kT0 + 30 * kS);
  std::vector<Notification> from_b = b.Tick(kT0 + 30 * kS);
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_EQ(from_a[0].IdempotencyKey(), from_b[0].IdempotencyKey());

  // A delivered; B held its copy and hears of it.
  const LogEntry delivered = *a.InFlightEntry(from_a[0].id);
  a.OnDeliveryResult({.id = from_a[0].id, .final = true, .delivered = true, .attempts = 1});
  b.OnPeerLog(from_a[0].StreamKey(), delivered, true);
  EXPECT_EQ(b.InFlightEntry(from_b[0].id), nullptr);
  EXPECT_EQ(b.delivered_log().size(), 1u);
  // B's next flushes have nothing new to say.
  EXPECT_THAT(b.Tick(kT0 + 6 * kM), IsEmpty());

  // A new alert in the group: both number it 2.
  const labels::Labels ls2{{"alertname", "Peer"}, {"instance", "b"}};
  for (Dispatcher* d : {&a, &b}) d->OnAlerts(firing(ls2, kT0 + 7 * kM), kT0 + 7 * kM);
  std::vector<Notification> next_a = a.Tick(kT0 + 11 * kM);
  std::vector<Notification> next_b = b.Tick(kT0 + 11 * kM);
  ASSERT_EQ(next_a.size(), 1u);
  ASSERT_EQ(next_b.size(), 1u);
  EXPECT_EQ(next_a[0].sequence, 2u);
  EXPECT_EQ(next_b[0].sequence, 2u);

  // A gave up on it for good: B's sequence moves past it too, nothing else changes.
  b.OnPeerLog(next_a[0].StreamKey(), *a.InFlightEntry(next_a[0].id), false);
  EXPECT_NE(b.InFlightEntry(next_b[0].id), nullptr);
}

// A peer's silence is taken when new or updated later than ours (Alertmanager's merge);
// a stale copy changes nothing. Local changes are reported for publishing, merged ones not.
TEST(DispatcherPeerTest, PeerSilencesMergeByUpdateTimeAndOnlyLocalChangesArePublished) {
  Dispatcher a(TestConfig()), b(TestConfig());
  std::vector<std::string> published;
  a.set_on_local_silence([&](const Silence& s) { published.push_back(s.id + " " + s.State(kT0)); });
  b.set_on_local_silence([&](const Silence& s) { published.push_back("b " + s.id); });

  Silence s;
  s.matchers.push_back(*labels::Matcher::Create(labels::MatchType::kEqual, "alertname", "X"));
  s.starts_at_ms = kT0;
  s.ends_at_ms = kT0 + kH;
  auto set = a.SetSilence(s, kT0);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(published, ElementsAre(set->id + " active"));

  EXPECT_TRUE(b.MergeSilence(*set, kT0));
  EXPECT_FALSE(b.MergeSilence(*set, kT0));  // same update again
  ASSERT_NE(b.silences().Get(set->id), nullptr);
  EXPECT_EQ(b.silences().Mutes(kA, kT0 + kS), std::vector<std::string>{set->id});

  auto expired = a.ExpireSilence(set->id, kT0 + kM);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(a.MergeSilence(*set, kT0 + kM));  // the older, active copy loses
  EXPECT_EQ(a.silences().Get(set->id)->State(kT0 + 2 * kM), "expired");
  EXPECT_TRUE(b.MergeSilence(*expired, kT0 + kM));
  EXPECT_THAT(b.silences().Mutes(kA, kT0 + 2 * kM), IsEmpty());
  EXPECT_EQ(published.size(), 2u);  // b published nothing
}

// A peer's snapshot re-sends every silence it holds: one that expired longer ago than the
// retention (garbage-collected here, or about to be) is not taken back, as Alertmanager's
// merge ignores it; a younger expired one is.
TEST(DispatcherPeerTest, PeerSilencesPastTheRetentionAreNotTaken) {
  Dispatcher b(TestConfig());
  Silence s;
  s.id = "0e1f";
  s.matchers.push_back(*labels::Matcher::Create(labels::MatchType::kEqual, "alertname", "X"));
  s.starts_at_ms = kT0;
  s.ends_at_ms = s.updated_at_ms = kT0 + kH;
  const TimestampMs gone = kT0 + kH + Dispatcher::kRetentionMs + kS;
  EXPECT_TRUE(b.MergeSilence(s, gone - 2 * kS));  // expired, within the retention
  EXPECT_EQ(b.silences().Get(s.id)->State(gone), "expired");
  b.Tick(gone);  // b's GC drops it
  EXPECT_EQ(b.silences().Get(s.id), nullptr);
  EXPECT_FALSE(b.MergeSilence(s, gone));  // the peer's snapshot does not bring it back
  EXPECT_EQ(b.silences().Get(s.id), nullptr);
}

// What an acknowledgement must name: who, and exactly one of an alert it holds (by
// fingerprint) or a group it holds (by key).
TEST(DispatcherTest, AcknowledgementsAreChecked) {
  Dispatcher d(TestConfig());
  d.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  auto ack = [&](std::string fingerprint, std::string group_key, std::string who) {
    v1::AcknowledgeRequest req;
    req.set_fingerprint(std::move(fingerprint));
    req.set_group_key(std::move(group_key));
    req.set_who(std::move(who));
    return d.Acknowledge(req, kT0 + kS).status();
  };
  const std::string fp = kA.FingerprintHex();
  EXPECT_EQ(ack(fp, "", ""), absl::InvalidArgumentError("who is required"));
  EXPECT_EQ(ack("", "", "ana"),
            absl::InvalidArgumentError("give exactly one of fingerprint and group_key"));
  EXPECT_EQ(ack(fp, "{}:{}", "ana"),
            absl::InvalidArgumentError("give exactly one of fingerprint and group_key"));
  EXPECT_EQ(ack("ffffffffffffffff", "", "ana").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ack("not hex", "", "ana").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ack("", "{}:{alertname=\"Nope\"}", "ana").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ack(fp, "", "ana").ok());
  ASSERT_EQ(d.Acknowledgements(0).size(), 1u);  // no store: recorded at once
  EXPECT_EQ(d.Acknowledgements(0)[0].who(), "ana");
}

// A peer's acknowledgement is recorded once, with an id of ours, whatever its id was there.
TEST(DispatcherPeerTest, PeerAcknowledgementsAreRecordedOnce) {
  Dispatcher a(TestConfig()), b(TestConfig());
  std::vector<v1::Acknowledgement> published;
  a.set_on_local_ack([&](const v1::Acknowledgement& ack) { published.push_back(ack); });
  a.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  v1::AcknowledgeRequest req;
  req.set_fingerprint(kA.FingerprintHex());
  req.set_who("alice");
  req.set_comment("on it");
  ASSERT_TRUE(a.Acknowledge(req, kT0 + kS).ok());
  ASSERT_EQ(published.size(), 1u);

  v1::AcknowledgeRequest own = req;
  own.set_who("bob");
  b.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  ASSERT_TRUE(b.Acknowledge(own, kT0).ok());  // b's id 1
  EXPECT_TRUE(b.MergeAcknowledgement(published[0], kT0 + kS));
  EXPECT_FALSE(b.MergeAcknowledgement(published[0], kT0 + kS));
  std::vector<v1::Acknowledgement> held = b.Acknowledgements(0);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].who(), "alice");
  EXPECT_EQ(held[0].id(), 2);
  EXPECT_EQ(held[0].fingerprint(), kA.FingerprintHex());
  EXPECT_EQ(held[1].who(), "bob");
}

// A replica lists acknowledgements newest first by when they were made, whatever order
// they reached it in (a peer's older one merged after its own newer one, as after a lost
// bus message and a snapshot), so that both replicas list them alike.
TEST(DispatcherPeerTest, AcknowledgementsAreListedByTimeWhateverTheirArrival) {
  Dispatcher a(TestConfig()), b(TestConfig());
  std::vector<v1::Acknowledgement> published;
  a.set_on_local_ack([&](const v1::Acknowledgement& ack) { published.push_back(ack); });
  a.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  b.OnAlerts(Batch({Firing(kA, kT0, kT0)}), kT0);
  v1::AcknowledgeRequest req;
  req.set_fingerprint(kA.FingerprintHex());
  for (const char* who : {"alice", "carol"}) {
    req.set_who(who);
    ASSERT_TRUE(a.Acknowledge(req, kT0 + (who[0] == 'a' ? 1 : 3) * kS).ok());
  }
  ASSERT_EQ(published.size(), 2u);
  req.set_who("bob");
  ASSERT_TRUE(b.Acknowledge(req, kT0 + 2 * kS).ok());
  // carol (3 s) reaches b before alice (1 s).
  EXPECT_TRUE(b.MergeAcknowledgement(published[1], kT0 + 4 * kS));
  EXPECT_TRUE(b.MergeAcknowledgement(published[0], kT0 + 4 * kS));
  std::vector<std::string> order;
  for (const v1::Acknowledgement& ack : b.Acknowledgements(0)) order.push_back(ack.who());
  EXPECT_THAT(order, ElementsAre("carol", "bob", "alice"));
  EXPECT_EQ(b.Acknowledgements(0)[2].id(), 3);  // ids are still b's, in arrival order
}

}  // namespace
}  // namespace vigil::notifier
