#include "services/notifier/postable_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "lib/labels/labels.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

// The body's refusal, else the invalid alerts' errors, else "ok".
std::string ErrorOf(std::string_view body) {
  auto parsed = ParsePostableAlerts(body, kNow);
  if (!parsed.ok()) return std::string(parsed.status().message());
  return parsed->invalid.empty() ? "ok" : parsed->invalid;
}

TEST(PostableAlertsTest, ParsesAlertmanagersPostableAlerts) {
  auto alerts = ParsePostableAlerts(R"([
    {"labels": {"alertname": "Down", "job": "api"}, "annotations": {"summary": "s"},
     "startsAt": "2023-11-14T22:00:00Z", "generatorURL": "http://g"},
    {"labels": {"alertname": "Old"}, "startsAt": "2023-11-14T21:00:00Z",
     "endsAt": "2023-11-14T21:30:00Z"},
    {"endsAt": "2023-11-14T23:00:00Z", "labels": {"alertname": "Soon", "empty": ""}}
  ])",
                                    kNow);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->alerts.size(), 3u);
  const Alert& down = alerts->alerts[0];
  const labels::Labels down_labels{{"alertname", "Down"}, {"job", "api"}};
  EXPECT_EQ(down.labels, down_labels);
  EXPECT_EQ(down.fingerprint, down_labels.Fingerprint());
  EXPECT_EQ(down.starts_at_ms, kNow - 13 * 60 * 1000 - 20 * 1000);
  EXPECT_EQ(down.ends_at_ms, 0);  // the dispatcher applies resolve_timeout
  EXPECT_EQ(down.annotations, (Annotations{{"summary", "s"}}));
  EXPECT_EQ(down.generator_url, "http://g");
  EXPECT_EQ(down.updated_at_ms, kNow);
  const Alert& old = alerts->alerts[1];
  EXPECT_TRUE(old.Resolved(kNow));
  EXPECT_EQ(old.ends_at_ms, kNow - 43 * 60 * 1000 - 20 * 1000);
  const Alert& soon = alerts->alerts[2];
  EXPECT_EQ(soon.labels, (labels::Labels{{"alertname", "Soon"}}));  // empty values dropped
  EXPECT_EQ(soon.ends_at_ms, kNow + 46 * 60 * 1000 + 40 * 1000);
  EXPECT_EQ(soon.starts_at_ms, soon.ends_at_ms);  // no startsAt: its endsAt, as Alertmanager
  EXPECT_FALSE(soon.Resolved(kNow));
}

// Alertmanager's API drops empty label values (removeEmptyLabels), not empty annotations.
TEST(PostableAlertsTest, EmptyAnnotationValuesAreKept) {
  auto alerts = ParsePostableAlerts(
      R"([{"labels": {"alertname": "A", "gone": ""}, "annotations": {"x": "", "y": "1"}}])", kNow);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->alerts.size(), 1u);
  EXPECT_EQ(alerts->alerts[0].labels, (labels::Labels{{"alertname", "A"}}));
  EXPECT_EQ(alerts->alerts[0].annotations.size(), 2u);
  EXPECT_EQ(alerts->alerts[0].annotations, (Annotations{{"x", ""}, {"y", "1"}}));
}

// Unknown fields (whatever their shape) and null values are skipped, as Go's decoder does.
TEST(PostableAlertsTest, SkipsUnknownFieldsAndNulls) {
  auto alerts = ParsePostableAlerts(R"([{"status": {"state": ["a", {"b": [1, 2]}]},
    "labels": {"alertname": "A"}, "annotations": null, "startsAt": null, "endsAt": "",
    "generatorURL": null, "fingerprint": "x", "receivers": [{"name": "r"}]}, {"labels": {"a": "1"}}])",
                                    kNow);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->alerts.size(), 2u);
  EXPECT_EQ(alerts->alerts[0].labels, (labels::Labels{{"alertname", "A"}}));
  EXPECT_TRUE(alerts->alerts[0].annotations.empty());
  EXPECT_EQ(alerts->alerts[0].starts_at_ms, kNow);
  EXPECT_EQ(alerts->alerts[0].ends_at_ms, 0);
  EXPECT_EQ(alerts->alerts[1].labels, (labels::Labels{{"a", "1"}}));
  EXPECT_TRUE(ParsePostableAlerts("[]", kNow)->alerts.empty());
}

// Keys name fields as Go's encoding/json matches them (checked against Alertmanager 0.25):
// any case, ſ (U+017F) for s. Label names stay as they are.
TEST(PostableAlertsTest, KeysMatchFieldsCaseInsensitivelyAsInGo) {
  auto alerts = ParsePostableAlerts(
      "[{\"LABELS\":{\"alertname\":\"Case\",\"X\":\"y\"},\"Annotations\":{\"s\":\"t\"},"
      "\"STARTSAT\":\"2023-11-14T22:00:00Z\",\"endsat\":\"2023-11-14T23:00:00Z\","
      "\"GeneratorUrl\":\"http://g\"},"
      "{\"labels\":{\"alertname\":\"LongS\"},\"\xC5\xBFtart\xC5\xBF" "At\":\"2023-11-14T21:00:00Z\"}]",
      kNow);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->alerts.size(), 2u);
  const Alert& a = alerts->alerts[0];
  EXPECT_EQ(a.labels, (labels::Labels{{"X", "y"}, {"alertname", "Case"}}));
  EXPECT_EQ(a.annotations, (Annotations{{"s", "t"}}));
  EXPECT_EQ(a.starts_at_ms, kNow - 13 * 60 * 1000 - 20 * 1000);
  EXPECT_EQ(a.ends_at_ms, kNow + 46 * 60 * 1000 + 40 * 1000);
  EXPECT_EQ(a.generator_url, "http://g");
  EXPECT_EQ(alerts->alerts[1].starts_at_ms, kNow - 73 * 60 * 1000 - 20 * 1000);
}

// A body that does not decode is refused whole (InvalidArgument: go-openapi's 400).
TEST(PostableAlertsTest, RefusesABodyThatDoesNotDecode) {
  EXPECT_THAT(ErrorOf("{not json"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}})"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf(R"({"labels": {}})"), HasSubstr("array"));
  EXPECT_THAT(ErrorOf("42"), HasSubstr("array"));
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}}, 7])"), "alert 1: alert must be an object");
  EXPECT_THAT(ErrorOf(R"([[]])"), "alert 0: alert must be an object");
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": 1}}])"), "alert 0: labels.a must be a string");
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": {"b": "c"}}}])"), "alert 0: labels.a must be a string");
  EXPECT_THAT(ErrorOf(R"([{"labels": ["a"]}])"), "alert 0: labels must be an object");
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}, "annotations": {"s": ["x"]}}])"),
              "alert 0: annotations.s must be a string");
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}, "startsAt": "later"}])"),
              HasSubstr("alert 0: startsAt"));
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}, "endsAt": 5}])"),
              "alert 0: endsAt must be a string");
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}, "generatorURL": {}}])"),
              "alert 0: generatorURL must be a string");
  // Before an invalid alert's error, and before a missing label set.
  EXPECT_THAT(ErrorOf(R"([{}, {"startsAt": "later", "labels": {"1x": "1"}}])"),
              HasSubstr("alert 1: startsAt"));
  auto refused = ParsePostableAlerts(R"([{"labels": {"a": 1}}])", kNow);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_EQ(PostableAlertsRefusal(refused.status()),
            std::make_pair(400, std::string(R"({"code":400,"message":"parsing alerts body from )"
                                            R"(\"\" failed, because alert 0: labels.a must be a )"
                                            R"(string"})")));
}

// An alert without labels (null or missing), or no body at all, is a required value
// missing: refused whole with go-openapi's 422 (Alertmanager 0.25's bytes).
TEST(PostableAlertsTest, RefusesAMissingRequiredValueAsGoOpenApi) {
  EXPECT_THAT(ErrorOf(R"([{"labels": {"a": "1"}}, {}, {"annotations": {}}])"),
              "1.labels in body is required");
  EXPECT_THAT(ErrorOf(R"([{"labels": null}])"), "0.labels in body is required");
  auto refused = ParsePostableAlerts("", kNow);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(PostableAlertsRefusal(refused.status()),
            std::make_pair(422, std::string(R"({"code":602,"message":"alerts in body is required"})")));
  EXPECT_EQ(ErrorOf("null"), "ok");
}

// Invalid alerts are left out with Alertmanager's messages, in its order, joined by "; ";
// the valid ones are taken.
TEST(PostableAlertsTest, LeavesOutInvalidAlertsWithAlertmanagersMessages) {
  auto posted = ParsePostableAlerts(R"([
    {"labels": {}},
    {"labels": {"a": "1"}},
    {"labels": {"1x": "1", "b c": "2"}, "annotations": {"d e": "x"}},
    {"labels": {"a": "2", "gone x": ""}, "annotations": {"d e": "x"}},
    {"labels": {"1x": "1"}, "startsAt": "2023-11-14T22:00:00Z", "endsAt": "2023-11-14T21:00:00Z"},
    {"labels": {"a": "3"}, "endsAt": "2023-11-14T21:00:00Z"}
  ])",
                                    kNow);
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->invalid,
            "at least one label pair required; invalid label set: invalid name \"1x\"; "
            "invalid annotations: invalid name \"d e\"; start time must be before end time");
  ASSERT_EQ(posted->alerts.size(), 2u);
  EXPECT_EQ(posted->alerts[0].labels, (labels::Labels{{"a", "1"}}));
  // Without startsAt, an alert with endsAt starts then (resolved at once), as Alertmanager.
  EXPECT_EQ(posted->alerts[1].labels, (labels::Labels{{"a", "3"}}));
  EXPECT_EQ(posted->alerts[1].starts_at_ms, posted->alerts[1].ends_at_ms);
  EXPECT_TRUE(posted->alerts[1].Resolved(kNow));
  // A label name is checked only with a value (empty ones are dropped first).
  EXPECT_EQ(ErrorOf(R"([{"labels": {"a": "1", "b c": ""}}])"), "ok");
  EXPECT_EQ(ErrorOf(R"([{"labels": {"b c": ""}}])"), "at least one label pair required");
}

}  // namespace
}  // namespace vigil::notifier
