// Silences and inhibition as the pipeline applies them, and their API v2 JSON.

#include "services/notifier/silences.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/notifier/dispatcher.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr TimestampMs kS = 1000;
constexpr TimestampMs kH = 3600 * kS;
constexpr TimestampMs kT0 = 1'700'000'000'000;

labels::Matcher M(labels::MatchType t, const char* name, const char* value) {
  return *labels::Matcher::Create(t, name, value);
}

Silence MakeSilence(std::vector<labels::Matcher> ms, TimestampMs start, TimestampMs end) {
  return Silence{.matchers = std::move(ms),
                 .starts_at_ms = start,
                 .ends_at_ms = end,
                 .created_by = "alice",
                 .comment = "maintenance"};
}

TEST(SilencesTest, CreateMuteExpire) {
  Silences silences;
  auto s = silences.Set(
      MakeSilence({M(labels::MatchType::kEqual, "alertname", "Disk")}, kT0 - kH, kT0 + kH), kT0);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->id, SizeIs(36));
  EXPECT_EQ(s->starts_at_ms, kT0);  // a start in the past becomes now
  EXPECT_EQ(s->State(kT0), "active");
  EXPECT_THAT(silences.Mutes({{"alertname", "Disk"}, {"host", "a"}}, kT0), ElementsAre(s->id));
  EXPECT_THAT(silences.Mutes({{"alertname", "Cpu"}}, kT0), IsEmpty());
  EXPECT_THAT(silences.Mutes({{"alertname", "Disk"}}, kT0 + kH), IsEmpty());  // ended

  ASSERT_TRUE(silences.Expire(s->id, kT0 + 10 * kS).ok());
  EXPECT_EQ(silences.Get(s->id)->State(kT0 + 10 * kS), "expired");
  EXPECT_THAT(silences.Mutes({{"alertname", "Disk"}}, kT0 + 10 * kS), IsEmpty());
  EXPECT_TRUE(absl::IsFailedPrecondition(silences.Expire(s->id, kT0 + 20 * kS).status()));
  EXPECT_TRUE(absl::IsNotFound(silences.Expire("nope", kT0).status()));
}

TEST(SilencesTest, RejectsBadSilencesAsAlertmanagerDoes) {
  Silences silences;
  EXPECT_TRUE(absl::IsInvalidArgument(silences.Set(MakeSilence({}, kT0, kT0 + kH), kT0).status()));
  EXPECT_THAT(
      std::string(
          silences.Set(MakeSilence({M(labels::MatchType::kRegex, "a", ".*")}, kT0, kT0 + kH), kT0)
              .status()
              .message()),
      HasSubstr("must not match the empty string"));
  EXPECT_THAT(
      std::string(silences.Set(MakeSilence({M(labels::MatchType::kEqual, "a", "b")}, kT0, kT0), kT0)
                      .status()
                      .message()),
      HasSubstr("start time must be before end time"));
  EXPECT_THAT(std::string(silences
                              .Set(MakeSilence({M(labels::MatchType::kEqual, "a", "b")},
                                               kT0 - 2 * kH, kT0 - kH),
                                   kT0)
                              .status()
                              .message()),
              HasSubstr("end time can't be in the past"));
}

TEST(SilencesTest, UpdateInPlaceOrReplace) {
  Silences silences;
  auto s = silences.Set(MakeSilence({M(labels::MatchType::kEqual, "a", "b")}, kT0, kT0 + kH), kT0);
  ASSERT_TRUE(s.ok());
  Silence longer = *s;
  longer.ends_at_ms = kT0 + 2 * kH;
  auto same = silences.Set(longer, kT0 + kS);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->id, s->id);
  EXPECT_EQ(same->starts_at_ms, kT0);
  Silence other = *same;
  other.matchers = {M(labels::MatchType::kEqual, "a", "c")};
  auto replaced = silences.Set(other, kT0 + 2 * kS);
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE(replaced->id, s->id);
  EXPECT_EQ(silences.Get(s->id)->State(kT0 + 2 * kS), "expired");
}

TEST(SilencesTest, JsonRoundTripInAlertmanagerShape) {
  Silence s = MakeSilence({M(labels::MatchType::kEqual, "alertname", "Disk"),
                           M(labels::MatchType::kNotRegex, "env", "dev|test")},
                          kT0, kT0 + kH);
  s.id = "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1";
  s.updated_at_ms = kT0;
  const std::string json = GettableSilenceJson(s, kT0);
  EXPECT_EQ(json,
            R"({"id":"0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1","status":{"state":"active"},)"
            R"("updatedAt":"2023-11-14T22:13:20.000Z","comment":"maintenance","createdBy":"alice",)"
            R"("endsAt":"2023-11-14T23:13:20.000Z","matchers":[)"
            R"({"isEqual":true,"isRegex":false,"name":"alertname","value":"Disk"},)"
            R"({"isEqual":false,"isRegex":true,"name":"env","value":"dev|test"}],)"
            R"("startsAt":"2023-11-14T22:13:20.000Z"})");
  auto back = ParseSilenceJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(GettableSilenceJson(*back, kT0), json);
  // amtool omits isEqual (Alertmanager < 0.22 clients): it defaults to true.
  auto old = ParseSilenceJson(
      R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2023-11-14T22:13:20Z",)"
      R"("endsAt":"2023-11-14T23:13:20Z","createdBy":"x","comment":"y"})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->matchers[0].type(), labels::MatchType::kEqual);
  EXPECT_FALSE(ParseSilenceJson(R"({"matchers":[{"name":"a"}]})").ok());
  EXPECT_FALSE(ParseSilenceJson("[").ok());
}

// Alertmanager 0.25's order (checked against its GET /api/v2/silences): active by end,
// pending by start, expired by end, latest first.
TEST(SilencesTest, SortedAsAlertmanagerListsThem) {
  auto make = [](std::string id, TimestampMs starts, TimestampMs ends) {
    Silence s = MakeSilence({M(labels::MatchType::kEqual, "a", "b")}, starts, ends);
    s.id = std::move(id);
    return s;
  };
  std::vector<Silence> list = {make("expired-early", kT0 - 3 * kH, kT0 - 2 * kH),
                               make("pending-late", kT0 + 2 * kH, kT0 + 5 * kH),
                               make("active-late", kT0 - kH, kT0 + 3 * kH),
                               make("expired-late", kT0 - 3 * kH, kT0 - kH),
                               make("pending-early", kT0 + kH, kT0 + 5 * kH),
                               make("active-early", kT0 - kH, kT0 + kH)};
  SortSilences(&list, kT0);
  std::vector<std::string> ids;
  for (const Silence& s : list) ids.push_back(s.id);
  EXPECT_THAT(ids, ::testing::ElementsAre("active-early", "active-late", "pending-early",
                                          "pending-late", "expired-late", "expired-early"));
}

// Read as Go's encoding/json reads it (Alertmanager accepts these): an invalid UTF-8 byte
// and an unpaired surrogate escape become U+FFFD, a valid pair is one character, the last
// of equal keys wins; what is not JSON stays refused.
TEST(SilencesTest, JsonIsReadAsGoReadsIt) {
  auto s = ParseSilenceJson(
      "{\"matchers\":[{\"name\":\"a\",\"value\":\"b\xff\\ud800\\ud83d\\ude00\","
      "\"isRegex\":false}],\"startsAt\":\"2023-11-14T22:13:20Z\","
      "\"endsAt\":\"2023-11-14T23:13:20Z\",\"createdBy\":\"x\",\"createdBy\":\"\\udc00y\","
      "\"comment\":\"c\",\"extra\":[1,{\"n\":null}]}");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->matchers[0].value(), "b\uFFFD\uFFFD\U0001F600");
  EXPECT_EQ(s->created_by, "\uFFFDy");
  EXPECT_EQ(s->ends_at_ms, kT0 + kH);
  EXPECT_FALSE(ParseSilenceJson("{\"matchers\":[]} x").ok());
  EXPECT_FALSE(ParseSilenceJson("{\"comment\":\"a\x01\"}").ok());  // a raw control byte
}

// Keys name fields as Go's encoding/json matches them (checked against Alertmanager 0.25):
// any case, ſ (U+017F) for s; the last key naming a field wins.
TEST(SilencesTest, KeysMatchFieldsCaseInsensitivelyAsInGo) {
  auto s = ParseSilenceJson(
      "{\"MATCHERS\":[{\"NAME\":\"a\",\"Value\":\"b\",\"i\xC5\xBFRegex\":false,\"ISEQUAL\":false}],"
      "\"STARTSAT\":\"2023-11-14T22:13:20Z\",\"endsat\":\"2023-11-14T23:13:20Z\","
      "\"createdBy\":\"first\",\"CreatedBy\":\"last\",\"Comment\":\"c\",\"ID\":\"x\"}");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->matchers.size(), 1u);
  EXPECT_EQ(s->matchers[0].ToString(), "a!=\"b\"");
  EXPECT_EQ(s->starts_at_ms, kT0);
  EXPECT_EQ(s->ends_at_ms, kT0 + kH);
  EXPECT_EQ(s->created_by, "last");
  EXPECT_EQ(s->comment, "c");
  EXPECT_EQ(s->id, "x");
}

// --- the pipeline ----------------------------------------------------------------------

constexpr char kConfig[] = R"(
route:
  receiver: hook
  group_by: [alertname, cluster]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{url: "http://127.0.0.1:1/hook"}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
  - source_match: {alertname: NodeDown}
    target_match_re: {alertname: 'Disk.*'}
)";

v1::AlertEvent Firing(const labels::Labels& ls, TimestampMs now) {
  v1::AlertEvent e;
  for (const labels::LabelView& l : ls) {
    v1::Label* p = e.add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  e.set_state(v1::ALERT_STATE_FIRING);
  e.set_fired_at_ms(now);
  e.set_valid_until_ms(now + 240 * kS);
  e.set_event_time_ms(now);
  return e;
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    auto cfg = ParseConfig("am.yml", kConfig);
    EXPECT_TRUE(cfg.ok()) << cfg.status();
    dispatcher_ = std::make_unique<Dispatcher>(std::make_shared<const Config>(std::move(*cfg)));
  }
  void Fire(const labels::Labels& ls, TimestampMs now) {
    v1::AlertBatch b;
    *b.add_alerts() = Firing(ls, now);
    dispatcher_->OnAlerts(b, now);
  }
  std::vector<std::string> GroupKeys(const std::vector<Notification>& ns) {
    std::vector<std::string> out;
    for (const Notification& n : ns) out.push_back(n.group_key);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(PipelineTest, InhibitionNeedsFiringSourceAndEqualLabels) {
  const labels::Labels crit{{"alertname", "Down"}, {"severity", "critical"}, {"cluster", "a"}};
  const labels::Labels warn_a{{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "a"}};
  const labels::Labels warn_b{{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "b"}};
  Fire(crit, kT0);
  Fire(warn_a, kT0);
  Fire(warn_b, kT0);
  EXPECT_THAT(GroupKeys(dispatcher_->Tick(kT0)),
              ElementsAre(R"({}:{alertname="Down", cluster="a"})",
                          R"({}:{alertname="Slow", cluster="b"})"));
  auto listed = dispatcher_->ListAlerts(kT0);
  ASSERT_THAT(listed, SizeIs(3));
  for (const RoutedAlert& r : listed) {
    if (r.alert.labels == warn_a) {
      EXPECT_THAT(r.inhibited_by, ElementsAre(crit.FingerprintHex()));
    } else {
      EXPECT_THAT(r.inhibited_by, IsEmpty());
    }
  }
  // The source resolves: the target is no longer muted and is notified.
  v1::AlertBatch resolved;
  v1::AlertEvent e = Firing(crit, kT0);
  e.set_state(v1::ALERT_STATE_INACTIVE);
  e.set_resolved_at_ms(kT0 + 30 * kS);
  e.set_event_time_ms(kT0 + 30 * kS);
  *resolved.add_alerts() = e;
  dispatcher_->OnAlerts(resolved, kT0 + 30 * kS);
  EXPECT_THAT(GroupKeys(dispatcher_->Tick(kT0 + 60 * kS)),
              ElementsAre(R"({}:{alertname="Down", cluster="a"})",
                          R"({}:{alertname="Slow", cluster="a"})"));
}

TEST_F(PipelineTest, LegacyMatchAndTwoSidedRule) {
  Fire({{"alertname", "NodeDown"}}, kT0);
  Fire({{"alertname", "DiskFull"}}, kT0);
  EXPECT_THAT(GroupKeys(dispatcher_->Tick(kT0)), ElementsAre(R"({}:{alertname="NodeDown"})"));
}

TEST_F(PipelineTest, SilencedAlertsAreLeftOutAndNotifiedWhenTheSilenceEnds) {
  const labels::Labels disk{{"alertname", "Disk"}, {"cluster", "a"}};
  auto s = dispatcher_->SetSilence(
      MakeSilence({M(labels::MatchType::kEqual, "alertname", "Disk")}, kT0, kT0 + 90 * kS), kT0);
  ASSERT_TRUE(s.ok());
  Fire(disk, kT0);
  EXPECT_THAT(dispatcher_->Tick(kT0), IsEmpty());
  auto listed = dispatcher_->ListAlerts(kT0);
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_THAT(listed[0].silenced_by, ElementsAre(s->id));
  EXPECT_THAT(GettableAlertsJson(listed), HasSubstr(R"("state":"suppressed")"));
  EXPECT_THAT(dispatcher_->Tick(kT0 + 60 * kS), IsEmpty());
  // Expired early: the next flush notifies.
  ASSERT_TRUE(dispatcher_->ExpireSilence(s->id, kT0 + 70 * kS).ok());
  EXPECT_THAT(dispatcher_->Tick(kT0 + 120 * kS), SizeIs(1));
}

TEST(InhibitConfigTest, UnknownKeysAreRejectedWithPosition) {
  auto cfg = ParseConfig("am.yml",
                         "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules:\n"
                         "  - source_matchers: [a=b]\n    target_matchers: [c=d]\n"
                         "    equals: [x]\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(std::string(cfg.status().message()), HasSubstr("am.yml:6:5"));
  EXPECT_THAT(std::string(cfg.status().message()), HasSubstr("equals"));
  auto tiv = ParseConfig("am.yml", "route: {receiver: r}\nreceivers: [{name: r}]\ntemplate: []\n");
  ASSERT_FALSE(tiv.ok());
  EXPECT_THAT(std::string(tiv.status().message()), HasSubstr("am.yml:3:1"));
  EXPECT_THAT(std::string(tiv.status().message()), HasSubstr("template"));
}

}  // namespace
}  // namespace vigil::notifier
