#include "services/notifier/payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/notifier/rfc3339.h"

namespace vigil::notifier {
namespace {

TEST(Rfc3339Test, FormatsLikeGo) {
  EXPECT_EQ(FormatGoTime(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'250), "2023-11-14T22:13:20.25Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'001), "2023-11-14T22:13:20.001Z");
}

TEST(Rfc3339Test, Parses) {
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20.25Z"), 1'700'000'000'250);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T23:13:20+01:00"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00.000Z"), 0);  // amtool alert add
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
}

Alert MakeAlert(labels::Labels ls, labels::Labels annotations, TimestampMs starts,
                TimestampMs ends) {
  Alert a;
  a.labels = std::move(ls);
  a.annotations = std::move(annotations);
  a.starts_at_ms = starts;
  a.ends_at_ms = ends;
  a.generator_url = "http://prom/graph";
  a.fingerprint = a.labels.Fingerprint();
  return a;
}

TEST(PayloadTest, WebhookMessageHasAlertmanagersShape) {
  const TimestampMs now = 1'700'000'100'000;
  MessageData data;
  data.receiver = "team-x";
  data.group_key = R"({}/{severity="P0"}:{alertname="Down"})";
  data.group_labels = labels::Labels{{"alertname", "Down"}};
  data.external_url = "http://127.0.0.1:9403";
  data.now = now;
  data.alerts = {
      MakeAlert({{"alertname", "Down"}, {"instance", "a"}, {"severity", "P0"}},
                {{"summary", "a is down"}, {"runbook", "r"}}, 1'700'000'000'000, now + 60'000),
      MakeAlert({{"alertname", "Down"}, {"instance", "b"}, {"severity", "P0"}},
                {{"summary", "b is down"}, {"runbook", "r"}}, 1'700'000'000'500, now - 1'000),
  };
  const std::string text = WebhookMessage(data);
  // Go's field order.
  EXPECT_EQ(
      text.rfind(R"({"receiver":"team-x","status":"firing","alerts":[{"status":"firing",)", 0), 0u)
      << text;
  auto j = nlohmann::json::parse(text);
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "receiver": "team-x",
    "status": "firing",
    "alerts": [
      {"status": "firing",
       "labels": {"alertname": "Down", "instance": "a", "severity": "P0"},
       "annotations": {"runbook": "r", "summary": "a is down"},
       "startsAt": "2023-11-14T22:13:20Z",
       "endsAt": "0001-01-01T00:00:00Z",
       "generatorURL": "http://prom/graph",
       "fingerprint": ")" + data.alerts[0].FingerprintHex() +
                                                        R"("},
      {"status": "resolved",
       "labels": {"alertname": "Down", "instance": "b", "severity": "P0"},
       "annotations": {"runbook": "r", "summary": "b is down"},
       "startsAt": "2023-11-14T22:13:20.5Z",
       "endsAt": "2023-11-14T22:14:59Z",
       "generatorURL": "http://prom/graph",
       "fingerprint": ")" + data.alerts[1].FingerprintHex() +
                                                        R"("}
    ],
    "groupLabels": {"alertname": "Down"},
    "commonLabels": {"alertname": "Down", "severity": "P0"},
    "commonAnnotations": {"runbook": "r"},
    "externalURL": "http://127.0.0.1:9403",
    "version": "4",
    "groupKey": "{}/{severity=\"P0\"}:{alertname=\"Down\"}",
    "truncatedAlerts": 0
  })");
  EXPECT_EQ(j, expected) << j.dump(2);
  EXPECT_EQ(data.alerts[0].FingerprintHex().size(), 16u);
}

TEST(PayloadTest, MaxAlertsTruncatesAndCounts) {
  MessageData data;
  data.now = 10;
  for (int i = 0; i < 5; ++i) {
    data.alerts.push_back(MakeAlert({{"alertname", "A"}, {"i", std::to_string(i)}}, {}, 1, 0));
  }
  data.max_alerts = 2;
  auto j = nlohmann::json::parse(WebhookMessage(data));
  EXPECT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["truncatedAlerts"], 3);
  EXPECT_EQ(j["status"], "firing");
}

}  // namespace
}  // namespace vigil::notifier
