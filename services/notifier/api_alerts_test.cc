#include "services/notifier/api_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lib/labels/labels.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kNow = 1'700'000'000'000;

TEST(ApiAlertsTest, ParsesAlertmanagersPostableAlerts) {
  auto batch = ParsePostableAlerts(R"([
    {"labels": {"alertname": "Down", "job": "api"}, "annotations": {"summary": "s"},
     "startsAt": "2023-11-14T22:00:00Z", "generatorURL": "http://g"},
    {"labels": {"alertname": "Old"}, "startsAt": "2023-11-14T21:00:00Z",
     "endsAt": "2023-11-14T21:30:00Z"},
    {"labels": {"alertname": "Soon"}, "endsAt": "2023-11-14T23:00:00Z"}
  ])",
                                   kNow);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->alerts_size(), 3);
  const v1::AlertEvent& down = batch->alerts(0);
  EXPECT_EQ(down.state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(down.fingerprint(),
            (labels::Labels{{"alertname", "Down"}, {"job", "api"}}.FingerprintHex()));
  EXPECT_EQ(down.fired_at_ms(), kNow - 13 * 60 * 1000 - 20 * 1000);
  EXPECT_EQ(down.valid_until_ms(), 0);  // the core applies resolve_timeout
  EXPECT_EQ(down.annotations(0).value(), "s");
  EXPECT_EQ(down.generator_url(), "http://g");
  EXPECT_EQ(down.source(), "api");
  EXPECT_EQ(batch->alerts(1).state(), v1::ALERT_STATE_INACTIVE);
  EXPECT_EQ(batch->alerts(2).state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(batch->alerts(2).fired_at_ms(), kNow);
  EXPECT_GT(batch->alerts(2).valid_until_ms(), kNow);
}

TEST(ApiAlertsTest, RejectsBadInputWithAMessage) {
  EXPECT_THAT(ParsePostableAlerts("{not json", kNow).status().message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParsePostableAlerts(R"({"labels": {}})", kNow).status().message(),
              HasSubstr("array"));
  EXPECT_THAT(ParsePostableAlerts(R"([{"labels": {}}])", kNow).status().message(),
              HasSubstr("alert 0: at least one label pair required"));
  EXPECT_THAT(ParsePostableAlerts(R"([{"labels": {"a": "1"}}, {"labels": {"1x": "1"}}])", kNow)
                  .status()
                  .message(),
              HasSubstr("alert 1: invalid label name"));
  EXPECT_THAT(ParsePostableAlerts(R"([{"labels": {"a": 1}}])", kNow).status().message(),
              HasSubstr("must be a string"));
  EXPECT_THAT(ParsePostableAlerts(R"([{"labels": {"a": "1"}, "startsAt": "later"}])", kNow)
                  .status()
                  .message(),
              HasSubstr("startsAt"));
  EXPECT_THAT(ParsePostableAlerts(R"([{"labels": {"a": "1"}, "startsAt": "2023-11-14T22:00:00Z",
                                       "endsAt": "2023-11-14T21:00:00Z"}])",
                                  kNow)
                  .status()
                  .message(),
              HasSubstr("start time must be before end time"));
}

TEST(ApiAlertsTest, GettableAlertsHaveAlertmanagersFields) {
  Alert a;
  a.labels = labels::Labels{{"alertname", "Down"}};
  a.annotations = labels::Labels{{"summary", "s"}};
  a.fingerprint = a.labels.Fingerprint();
  a.starts_at_ms = kNow;
  a.ends_at_ms = kNow + 60'000;
  a.updated_at_ms = kNow;
  auto j = nlohmann::json::parse(GettableAlertsJson({{a, {"page"}}}));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "Down");
  EXPECT_EQ(j[0]["annotations"]["summary"], "s");
  EXPECT_EQ(j[0]["fingerprint"], a.FingerprintHex());
  EXPECT_EQ(j[0]["startsAt"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j[0]["endsAt"], "2023-11-14T22:14:20Z");
  EXPECT_EQ(j[0]["updatedAt"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j[0]["receivers"][0]["name"], "page");
  EXPECT_EQ(j[0]["status"]["state"], "active");
  EXPECT_TRUE(j[0]["status"]["silencedBy"].empty());
}

TEST(ApiAlertsTest, FilterGroupsStatusReceivers) {
  Alert a;
  a.labels = labels::Labels{{"alertname", "Down"}, {"team", "db"}};
  a.fingerprint = a.labels.Fingerprint();
  RoutedAlert plain{a, {"page"}, {}, {}};
  RoutedAlert silenced{a, {"page"}, {"s1"}, {}};
  RoutedAlert inhibited{a, {"mail"}, {}, {"00000000000000aa"}};

  auto all = ParseAlertFilter({});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Keep(plain) && all->Keep(silenced) && all->Keep(inhibited));
  // What `amtool alert query` asks for.
  auto active = ParseAlertFilter({{"active", "true"},
                                  {"silenced", "false"},
                                  {"inhibited", "false"},
                                  {"unprocessed", "false"}});
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->Keep(plain));
  EXPECT_FALSE(active->Keep(silenced));
  EXPECT_FALSE(active->Keep(inhibited));
  auto filtered = ParseAlertFilter({{"filter", "team=\"web\""}});
  ASSERT_TRUE(filtered.ok());
  EXPECT_FALSE(filtered->Keep(plain));
  auto receiver = ParseAlertFilter({{"receiver", "pa.*"}});
  ASSERT_TRUE(receiver.ok());
  EXPECT_TRUE(receiver->Keep(plain));
  EXPECT_FALSE(receiver->Keep(inhibited));
  EXPECT_FALSE(ParseAlertFilter({{"active", "maybe"}}).ok());
  EXPECT_FALSE(ParseAlertFilter({{"filter", "=x"}}).ok());

  auto groups = nlohmann::json::parse(
      AlertGroupsJson({{labels::Labels{{"alertname", "Down"}}, "page", {inhibited}}}));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["labels"]["alertname"], "Down");
  EXPECT_EQ(groups[0]["receiver"]["name"], "page");
  EXPECT_EQ(groups[0]["alerts"][0]["status"]["state"], "suppressed");
  EXPECT_EQ(groups[0]["alerts"][0]["status"]["inhibitedBy"][0], "00000000000000aa");

  EXPECT_EQ(ReceiversJson({"a", "b"}), R"([{"name":"a"},{"name":"b"}])");
  auto status = nlohmann::json::parse(StatusJson("route: {}\n", kNow));
  EXPECT_EQ(status["cluster"]["status"], "disabled");
  EXPECT_EQ(status["config"]["original"], "route: {}\n");
  EXPECT_TRUE(status["versionInfo"].contains("version"));
  EXPECT_EQ(ErrorJson("bad \"x\""), R"("bad \"x\"")");
}

}  // namespace
}  // namespace vigil::notifier
