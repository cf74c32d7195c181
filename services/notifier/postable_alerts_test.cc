#include "services/notifier/postable_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/format.h"
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

// A key repeated (in any case) as Go's encoding/json decodes it, observed from
// Alertmanager 0.25: a later null sets labels or annotations to nil, undoing the earlier
// object (labels then required: 422 code 602; an invalid name undone with it), and
// leaves startsAt and endsAt (strfmt.DateTime) as they were; later objects merge into the
// map, a later value of a name winning.
TEST(PostableAlertsTest, ARepeatedKeyDecodesAsInGo) {
  EXPECT_EQ(ErrorOf(R"([{"labels": {"a": "b"}, "labels": null}])"),
            "0.labels in body is required");
  EXPECT_EQ(ErrorOf(R"([{"Labels": {"a": "b"}, "labels": null}])"),
            "0.labels in body is required");
  auto refused = ParsePostableAlerts(R"([{"labels": {"a": "b"}, "LABELS": null}])", kNow);
  EXPECT_EQ(PostableAlertsRefusal(refused.status()),
            std::make_pair(422, std::string(R"({"code":602,"message":"0.labels in body is )"
                                            R"(required"})")));
  EXPECT_EQ(ErrorOf(R"([{"labels": {"a": "b"}, "labels": {"a": ""}}])"),
            "at least one label pair required");
  // An invalid label name whose last value is empty is dropped, no invalid name; an
  // annotation's is not.
  EXPECT_EQ(ErrorOf(R"([{"labels": {"0x": "v", "0x": "", "a": "b"}}])"), "ok");
  EXPECT_EQ(ErrorOf(R"([{"labels": {"0x": "v", "a": "b"}, "Labels": {"0x": ""}}])"), "ok");
  EXPECT_EQ(ErrorOf(R"([{"labels": {"0x": "", "1x": "v", "0x": "w"}}])"),
            "invalid label set: invalid name \"0x\"");
  EXPECT_EQ(ErrorOf(R"([{"labels": {"a": "b"}, "annotations": {"0x": "v"},)"
                    R"( "annotations": {"0x": ""}}])"),
            "invalid annotations: invalid name \"0x\"");
  auto alerts = ParsePostableAlerts(
      R"([{"labels": null, "labels": {"a": "1"}},)"
      R"( {"labels": {"a": "2"}, "annotations": {"s": "t"}, "annotations": null},)"
      R"( {"labels": {"a": "3"}, "Annotations": {"s": "t"}, "annotations": null},)"
      R"( {"labels": {"a": "4"}, "startsAt": "2023-11-14T22:00:00Z", "startsAt": null},)"
      R"( {"labels": {"a": "5"}, "endsAt": "2023-11-14T23:00:00Z", "endsAt": null},)"
      R"( {"labels": {"a": "6"}, "StartsAt": "2023-11-14T22:00:00Z", "startsAt": null,)"
      R"(  "EndsAt": "2023-11-14T23:00:00Z", "endsAt": null},)"
      R"( {"labels": {"a": "7"}, "labels": {"c": "d"}},)"
      R"( {"labels": {"0x": "b"}, "labels": null, "labels": {"a": "8"}},)"
      R"( {"labels": {"a": "9"}, "annotations": {"0x": "t"}, "annotations": null}])",
      kNow);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->invalid, "");
  ASSERT_EQ(alerts->alerts.size(), 9u);
  const auto& a = alerts->alerts;
  EXPECT_EQ(a[0].labels, (labels::Labels{{"a", "1"}}));
  EXPECT_TRUE(a[1].annotations.empty());
  EXPECT_TRUE(a[2].annotations.empty());
  const TimestampMs ten_pm = kNow - 13 * 60 * 1000 - 20 * 1000;
  const TimestampMs eleven_pm = ten_pm + 60 * 60 * 1000;
  EXPECT_EQ(a[3].starts_at_ms, ten_pm);
  EXPECT_EQ(a[3].ends_at_ms, 0);
  EXPECT_EQ(a[4].starts_at_ms, eleven_pm);  // no startsAt: its endsAt
  EXPECT_EQ(a[4].ends_at_ms, eleven_pm);
  EXPECT_EQ(a[5].starts_at_ms, ten_pm);
  EXPECT_EQ(a[5].ends_at_ms, eleven_pm);
  EXPECT_EQ(a[6].labels, (labels::Labels{{"a", "7"}, {"c", "d"}}));
  EXPECT_EQ(a[7].labels, (labels::Labels{{"a", "8"}}));
  EXPECT_EQ(a[8].labels, (labels::Labels{{"a", "9"}}));
  EXPECT_TRUE(a[8].annotations.empty());
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

// The answer to one alert whose generatorURL is `url`: "ok", or the refusal's HTTP status
// and body.
std::string AnswerToGeneratorUrl(const std::string& url) {
  const std::string body =
      nlohmann::json::array({{{"labels", {{"a", "x"}}}, {"generatorURL", url}}}).dump();
  auto parsed = ParsePostableAlerts(body, kNow);
  if (parsed.ok()) return parsed->invalid.empty() ? "ok" : parsed->invalid;
  auto [status, answer] = PostableAlertsRefusal(parsed.status());
  return StrCat(status, " ", answer);
}

// go-openapi's 422 for a generatorURL that is not a URI, the value quoted as Go's %q.
std::string NotAUri(std::string_view quoted) {
  return StrCat(R"(422 {"code":601,"message":"0.generatorURL in body must be of type uri: \")",
                quoted, R"(\""})");
}

// A generatorURL is checked as go-openapi checks the spec's `format: uri`, with Go's
// url.ParseRequestURI; an empty one is not checked. Each string here was POSTed to
// Alertmanager 0.25 (Debian's, built with Go 1.19.8): these were accepted (200)...
TEST(PostableAlertsTest, GeneratorUrlsAlertmanagerAccepts) {
  const std::vector<std::string> accepted = {
      "", "http://g", "HTTP://X", "h-t.t+p://x", "a1:b", "a:b", "a:", "mailto:x", "http:",
      "*", "/", "/rel", "/a b", "/%41", "/#a", "/?%zz", "/?#%zz", "//x", "///x", "//x y",
      // Opaque (no '/' after the scheme): not checked. Nor is a query.
      "a:%zz", "mailto:a b", "http:?%zz", "http://x/?%zz", "http://x?%zz#%zz",
      "http://x/?a=%", "http://x/?q", "http:/ok",
      // Paths.
      "http://x/a b", "http://x/ ", "http://x/#", "http://x/%e2%82%ac", "http://x/\u00e9",
      "http://x/\xEF\xBF\xBD",  // what an invalid UTF-8 byte decodes to
      StrCat("http://x/", std::string(1'000'000, 'a')),
      // Authorities.
      "http://", "http:///p", "http://x:80", "http://x:", "http://x:80:90", "http://:80",
      "http://@x", "http://a%41@x", "http://a:b:c@x", "http://a/b@x@y", "http://x@y@z",
      "http://a@b:c@x", "http://x%C3%A9", "http://x%C3%A9:80", "http://x%80", "http://x%25",
      "http://x<y>\"z!$&'()*+,;=~_-.", "http://x\u00e9", "http://x]",
      "http://[::1]", "http://[::1]:", "http://[::1]:80", "http://[::1]]", "http://[::1%C3]",
      "http://[fe80::1%25en0]/", "http://[::1%25en0]", "http://[::1%25en0]:",
      "http://[::1%25en]:80", "http://[::1%25en%200]", "http://[::1%25en%41]",
      "http://[::1%25]", "http://[::1%25%20]",
  };
  for (const std::string& url : accepted) {
    EXPECT_EQ(AnswerToGeneratorUrl(url), "ok") << url;
    EXPECT_EQ(GoParsesRequestUri(url), !url.empty()) << url;  // "" is Go's "empty url"
  }
}

// ...and these refused, 422 {"code":601,...} (no newline), the value quoted as Go's %q.
TEST(PostableAlertsTest, GeneratorUrlsAlertmanagerRefuses) {
  const std::vector<std::string> refused = {
      // No scheme, and no absolute path ("invalid URI for request").
      "x", ".", "./a", "foo/bar", "foo bar", "?", "?q", "?q=%zz", "#frag", "%", "%2", "%41",
      "%zz", "**", " *", " http://x", "1a:b", "1http://x", "+x:y", "-:b", "a_b:c", "a_b:/c",
      "\u00e9:x",
      // "missing protocol scheme".
      ":foo", ":", "::",
      // Bad escapes in the path (a #fragment is part of it).
      "/%zz", "/%4", "/%", "//%zz", "http:/%zz", "http://host/%", "http://host/%4",
      "http://x/%2", "http://x/%2g", "http://x/%G0", "http://x/100%", "http://x/#%",
      "http://x/#%zz", "http://x:80/%zz", "http://x/%zz?ok",
      // Hosts: a byte a host may not hold, an escaped ASCII byte, a bad port.
      "http://a b", "http://x ", "http://x{y", "http://x|y", "http://x^y", "http://x`y",
      "http://x#y", "http://x%y", "http://x%2", "http://x%41", "http://x%7f", "http://a%20b/",
      "http://a%zz/", "http://x:port", "http://x:8a", "http://x:\u0663", "http://x@y:z",
      "http://[::1", "http://[::1]x", "http://[::1]:8a", "http://[::1]%41", "http://[::1%41]",
      "http://[x y]", "http://[%41::1%25en0]", "http://[::1%25en0]%41",
      "http://[::1%25en0]:%41",
      // Zones: an escape of a byte a host may not hold (but %25 and %20).
      "http://[::1%25en%2f0]", "http://[::1%25en%zz]", "http://[::1%25en/0]",
      "http://[::1%25en 0]", "http://[::1%25en{0]", "http://[::1%25en%C3%A9]",
      // Userinfo.
      "http://a b@x", "http://user:pa ss@x/", "http://a%zz@x", "http://a:b%zz@x",
      "http://a%3:b@x", "http://a%@x", "http://\u00e9@x",
  };
  for (const std::string& url : refused) {
    EXPECT_EQ(AnswerToGeneratorUrl(url), NotAUri(url)) << url;
    EXPECT_FALSE(GoParsesRequestUri(url)) << url;
  }
  // Observed bytes, quoted: control characters, non-ASCII that Go's %q escapes, HTML
  // escaped by json.Marshal; the value in full, however long.
  EXPECT_EQ(AnswerToGeneratorUrl("http://x\\y"), NotAUri(R"(http://x\\\\y)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://a\"@x"), NotAUri(R"(http://a\\\"@x)"));
  EXPECT_EQ(AnswerToGeneratorUrl(std::string("http://x/\0", 10)), NotAUri(R"(http://x/\\x00)"));
  EXPECT_EQ(AnswerToGeneratorUrl("\x01"), NotAUri(R"(\\x01)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://x/\x01"), NotAUri(R"(http://x/\\x01)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://x/\x1f"), NotAUri(R"(http://x/\\x1f)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://x/\x7f"), NotAUri(R"(http://x/\\x7f)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://x/\t"), NotAUri(R"(http://x/\\t)"));
  EXPECT_EQ(AnswerToGeneratorUrl("http://a b<>&\"\\\x01\x7f\u00e9\u00a0\u2028\xEF\xBF\xBDx"),
            NotAUri("http://a b\\u003c\\u003e\\u0026\\\\\\\"\\\\\\\\\\\\x01\\\\x7f\u00e9"
                    "\\\\u00a0\\\\u2028\xEF\xBF\xBDx"));
  const std::string long_one = StrCat("%zz", std::string(1'000'000, 'a'));
  EXPECT_EQ(AnswerToGeneratorUrl(long_one), NotAUri(long_one));
}

// Such an alert refuses the body whole, its valid alerts not taken (observed from
// Alertmanager 0.25: go-openapi validates the body before Alertmanager's handler). A body
// that does not decode is refused first (400); then the first alert that go-openapi
// refuses, its generatorURL checked before its labels are required.
TEST(PostableAlertsTest, AGeneratorUrlNotAUriRefusesTheBodyAsGoOpenApi) {
  auto refused = ParsePostableAlerts(
      R"([{"labels":{"a":"ok1"}},{"labels":{"a":"x"},"generatorURL":"%zz"}])", kNow);
  EXPECT_TRUE(absl::IsOutOfRange(refused.status())) << refused.status();
  EXPECT_EQ(PostableAlertsRefusal(refused.status()),
            std::make_pair(422, std::string(R"({"code":601,"message":"1.generatorURL in body )"
                                            R"(must be of type uri: \"%zz\""})")));
  EXPECT_EQ(ErrorOf(R"([{},{"labels":{"a":"x"},"generatorURL":"%zz"}])"),
            "0.labels in body is required");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"%zz"},{}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  EXPECT_EQ(ErrorOf(R"([{"generatorURL":"%zz"}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  EXPECT_EQ(ErrorOf(R"([{"generatorURL":"%zz","labels":null}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  // Before Alertmanager's own checks of the alerts.
  EXPECT_EQ(ErrorOf(R"([{"labels":{"1x":"x"},"generatorURL":"%zz"}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"}},{"labels":{},"generatorURL":"%zz"}])"),
            R"(1.generatorURL in body must be of type uri: "%zz")");
  // After decoding.
  EXPECT_THAT(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"%zz"},{"labels":{"a":1}}])"),
              "alert 1: labels.a must be a string");
  EXPECT_THAT(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"%zz","startsAt":"bad"}])"),
              HasSubstr("alert 0: startsAt"));
  // The field named as in the spec whatever the key's case; the last of the keys, a null
  // one undoing the one before (strfmt.URI decodes null as "").
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"GeneratorUrl":"%zz"}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"%zz","generatorURL":"http://ok"}])"),
            "ok");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"http://ok","generatorURL":"%zz"}])"),
            R"(0.generatorURL in body must be of type uri: "%zz")");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":"%zz","generatorURL":null}])"),
            "ok");
  auto reset = ParsePostableAlerts(
      R"([{"labels":{"a":"x"},"generatorURL":"http://ok","generatorURL":null}])", kNow);
  ASSERT_TRUE(reset.ok()) << reset.status();
  ASSERT_EQ(reset->alerts.size(), 1u);
  EXPECT_EQ(reset->alerts[0].generator_url, "");
  EXPECT_EQ(ErrorOf(R"([{"labels":{"a":"x"},"generatorURL":null}])"), "ok");
}

}  // namespace
}  // namespace vigil::notifier
