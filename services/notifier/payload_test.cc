#include "services/notifier/payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/notifier/go_json.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {
namespace {

TEST(Rfc3339Test, FormatsLikeGo) {
  EXPECT_EQ(FormatGoTime(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'250), "2023-11-14T22:13:20.25Z");
  EXPECT_EQ(FormatGoTime(1'700'000'000'001), "2023-11-14T22:13:20.001Z");
  // The API's times always have three digits (observed from Alertmanager 0.25).
  EXPECT_EQ(FormatApiTime(0), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatApiTime(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatApiTime(1'700'000'000'250), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(FormatApiTime(1'700'000'000'001), "2023-11-14T22:13:20.001Z");
}

TEST(Rfc3339Test, Parses) {
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20.25Z"), 1'700'000'000'250);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T23:13:20+01:00"), 1'700'000'000'000);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00.000Z"), 0);  // amtool alert add
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
}

Alert MakeAlert(labels::Labels ls, Annotations annotations, TimestampMs starts,
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
  const labels::Labels group_labels{{"alertname", "Down"}};
  data.group_labels = &group_labels;
  data.external_url = "http://127.0.0.1:9403";
  data.now = now;
  const std::vector<Alert> alerts = {
      MakeAlert({{"alertname", "Down"}, {"instance", "a"}, {"severity", "P0"}},
                {{"summary", "a is down"}, {"runbook", "r"}}, 1'700'000'000'000, now + 60'000),
      MakeAlert({{"alertname", "Down"}, {"instance", "b"}, {"severity", "P0"}},
                {{"summary", "b is down"}, {"runbook", "r"}}, 1'700'000'000'500, now - 1'000),
  };
  data.alerts = alerts;
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
  std::vector<Alert> alerts;
  for (int i = 0; i < 5; ++i) {
    alerts.push_back(MakeAlert({{"alertname", "A"}, {"i", std::to_string(i)}}, {}, 1, 0));
  }
  // The two sent are resolved and annotated alike; the three cut are firing.
  alerts[0].ends_at_ms = alerts[1].ends_at_ms = 5;
  alerts[0].annotations = alerts[1].annotations = Annotations{{"kept", "yes"}};
  data.alerts = alerts;
  data.max_alerts = 2;
  auto j = nlohmann::json::parse(WebhookMessage(data));
  EXPECT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["truncatedAlerts"], 3);
  // As Alertmanager: status and common labels/annotations are those of the alerts sent.
  EXPECT_EQ(j["status"], "resolved");
  EXPECT_EQ(j["commonAnnotations"], (nlohmann::json{{"kept", "yes"}}));
  EXPECT_EQ(j["commonLabels"], (nlohmann::json{{"alertname", "A"}}));
  data.max_alerts = 0;
  j = nlohmann::json::parse(WebhookMessage(data));
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["commonAnnotations"], nlohmann::json::object());
}

// Alertmanager 0.25 drops empty label values of posted alerts, not empty annotations:
// they are in the payload, and in commonAnnotations when every alert has them "" (a Go
// map reads "" for an absent one too).
TEST(PayloadTest, EmptyAnnotationValuesAreKept) {
  MessageData data;
  data.now = 10;
  const std::vector<Alert> alerts = {
      MakeAlert({{"alertname", "A"}, {"i", "1"}}, {{"empty", ""}, {"summary", "a"}}, 1, 0),
      MakeAlert({{"alertname", "A"}, {"i", "2"}}, {{"summary", "b"}}, 1, 0),
  };
  data.alerts = alerts;
  auto j = nlohmann::json::parse(WebhookMessage(data));
  EXPECT_EQ(j["alerts"][0]["annotations"], (nlohmann::json{{"empty", ""}, {"summary", "a"}}));
  EXPECT_EQ(j["commonAnnotations"], (nlohmann::json{{"empty", ""}}));
}

// Byte for byte what Debian's Alertmanager 0.25 sent for the same alert (captured from
// its webhook): the receiver through regexp.QuoteMeta, Go's HTML-safe escaping (<, >, &,
// U+2028, a control byte as \u0008, DEL and UTF-8 as they are), a trailing newline.
TEST(PayloadTest, WebhookBytesAreAlertmanagers) {
  const labels::Labels ls{{"alertname", "A<b>&c"}, {"x", "\u2028\b\x7f\u00e9"}};
  Alert a = MakeAlert(ls, {{"u", "http://x/?a=1&b=<2>"}}, 1'700'000'000'000, 1'700'000'300'000);
  a.generator_url = "";
  const labels::Labels group_labels{{"alertname", "A<b>&c"}};
  MessageData data;
  data.receiver = "team.a+b";
  data.group_key = "{}:{alertname=\"A<b>&c\"}";
  data.group_labels = &group_labels;
  data.alerts = std::span<const Alert>(&a, 1);
  data.external_url = "http://vm:19112";
  data.now = 1'700'000'100'000;
  const std::string x = R"("\u2028\u0008)" "\x7f" "\u00e9\"";
  EXPECT_EQ(WebhookMessage(data),
            R"({"receiver":"team\\.a\\+b","status":"firing","alerts":[{"status":"firing","labels":)"
            R"({"alertname":"A\u003cb\u003e\u0026c","x":)" + x +
            R"(},"annotations":{"u":"http://x/?a=1\u0026b=\u003c2\u003e"},)"
            R"("startsAt":"2023-11-14T22:13:20Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"",)"
            R"("fingerprint":")" + a.FingerprintHex() +
            R"("}],"groupLabels":{"alertname":"A\u003cb\u003e\u0026c"},"commonLabels":)"
            R"({"alertname":"A\u003cb\u003e\u0026c","x":)" + x +
            R"(},"commonAnnotations":{"u":"http://x/?a=1\u0026b=\u003c2\u003e"},)"
            R"("externalURL":"http://vm:19112","version":"4","groupKey":"{}:{alertname=\"A\u003cb\u003e\u0026c\"}",)"
            R"("truncatedAlerts":0})"
            "\n");
}

// The string escaping itself is lib/json's (go_string_test.cc).
TEST(GoJsonTest, QuoteMetaAsGo) {
  EXPECT_EQ(GoQuoteMeta(R"(a.b+c*d?e(f)g|h[i]j{k}l^m$n\o)"),
            R"(a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o)");
}

}  // namespace
}  // namespace vigil::notifier
