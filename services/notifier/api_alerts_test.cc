#include "services/notifier/api_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "services/notifier/silences.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;

constexpr TimestampMs kNow = 1'700'000'000'000;

TEST(ApiAlertsTest, GettableAlertsHaveAlertmanagersFields) {
  Alert a;
  a.labels = labels::Labels{{"alertname", "Down"}};
  a.annotations = Annotations{{"summary", "s"}};
  a.fingerprint = a.labels.Fingerprint();
  a.starts_at_ms = kNow;
  a.ends_at_ms = kNow + 60'000;
  a.updated_at_ms = kNow;
  auto j = nlohmann::json::parse(GettableAlertsJson({{a, {"page"}}}));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "Down");
  EXPECT_EQ(j[0]["annotations"]["summary"], "s");
  EXPECT_EQ(j[0]["fingerprint"], a.FingerprintHex());
  EXPECT_EQ(j[0]["startsAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j[0]["endsAt"], "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(j[0]["updatedAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j[0]["receivers"][0]["name"], "page");
  EXPECT_EQ(j[0]["status"]["state"], "active");
  EXPECT_TRUE(j[0]["status"]["silencedBy"].empty());
  EXPECT_FALSE(j[0].contains("generatorURL"));  // empty: left out, as Alertmanager
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

// A value Go's encoding/json escapes: <, > and & as \u003c \u003e \u0026 (HTML escaping,
// json.Marshal's default), U+2028 as \u2028, a control byte as \u00XX, an invalid UTF-8
// byte as \ufffd (Go 1.19's encodeState.string). Alertmanager's go-openapi server writes
// its answers with HTML escaping off (kTrickyEncoder), but a gettable alert or silence
// marshals itself with json.Marshal (kTrickyGo), as Alertmanager 0.25 answers (see
// tests/notifier_differential_test.cc, NotifierApiBytesTest).
constexpr char kTricky[] = "<a&b>\u2028\x01\xff";
constexpr char kTrickyGo[] = R"("\u003ca\u0026b\u003e\u2028\u0001\ufffd")";
constexpr char kTrickyEncoder[] = R"("<a&b>\u2028\u0001\ufffd")";

TEST(ApiAlertsTest, StringsAreEscapedAsAlertmanagerEscapesThem) {
  Alert a;
  a.labels = labels::Labels{{"alertname", "Down"}, {"x<y", kTricky}};
  a.annotations = Annotations{{"summary", kTricky}};
  a.fingerprint = a.labels.Fingerprint();
  a.generator_url = "http://x/?a=1&b=2";
  const std::string labels = StrCat(R"("labels":{"alertname":"Down","x\u003cy":)", kTrickyGo, "}");
  const std::string alerts = GettableAlertsJson({{a, {"page"}}});
  EXPECT_THAT(alerts, HasSubstr(StrCat(R"("annotations":{"summary":)", kTrickyGo, "}")));
  EXPECT_THAT(alerts, HasSubstr(R"("generatorURL":"http://x/?a=1\u0026b=2")"));
  EXPECT_THAT(alerts, HasSubstr(labels));
  const std::string groups =
      AlertGroupsJson({{labels::Labels{{"x<y", kTricky}}, "a&b", {{a, {"a&b"}}}}});
  EXPECT_THAT(groups, HasSubstr(R"("receivers":[{"name":"a\u0026b"}])"));  // the alert's
  EXPECT_THAT(groups, HasSubstr(labels));
  EXPECT_THAT(groups, HasSubstr(StrCat(R"(}],"labels":{"x<y":)", kTrickyEncoder,
                                       R"(},"receiver":{"name":"a&b"}}])")));
  EXPECT_EQ(ReceiversJson({kTricky}), StrCat(R"([{"name":)", kTrickyEncoder, "}]"));
  EXPECT_THAT(StatusJson(kTricky, kNow),
              HasSubstr(StrCat(R"("config":{"original":)", kTrickyEncoder, "}")));
  EXPECT_EQ(ErrorJson(kTricky), kTrickyEncoder);

  Silence s;
  s.id = "id";
  s.matchers.push_back(*labels::Matcher::Create(labels::MatchType::kEqual, "x", kTricky));
  s.created_by = kTricky;
  s.comment = kTricky;
  const std::string silence = GettableSilenceJson(s, kNow);
  EXPECT_THAT(silence,
              HasSubstr(StrCat(R"("comment":)", kTrickyGo, R"(,"createdBy":)", kTrickyGo)));
  EXPECT_THAT(silence, HasSubstr(StrCat(R"("name":"x","value":)", kTrickyGo, "}]")));
  EXPECT_EQ(GettableSilencesJson({s}, kNow), StrCat("[", silence, "]"));
}

// go-openapi's check of a path silenceID (strfmt's uuid, Alertmanager 0.25's answers).
TEST(ApiAlertsTest, SilenceIdParamIsCheckedAsGoOpenApiChecksAUuid) {
  for (const char* ok : {"0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1", "0B6E5E448F8A4A4B9C520BD4F5A0E4A1",
                         "0b6e5e44-8f8a4a4b-9c52-0bd4f5a0e4a1"}) {
    EXPECT_EQ(SilenceIdParamError(ok), "") << ok;
  }
  EXPECT_EQ(SilenceIdParamError("abc"),
            R"({"code":601,"message":"silenceID in path must be of type uuid: \"abc\""})");
  for (const char* bad :
       {"", "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a", "0b6e5e44--8f8a-4a4b-9c52-0bd4f5a0e4a1",
        "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1-", "{0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1}",
        "g0b6e5e4-8f8a-4a4b-9c52-0bd4f5a0e4a1"}) {
    EXPECT_THAT(SilenceIdParamError(bad), HasSubstr(R"("code":601)")) << bad;
  }
  // The value as Go's %q writes it, then HTML-escaped by json.Marshal.
  EXPECT_THAT(
      SilenceIdParamError("a\"\\<&\xff\xc3\xa9\x01\x7f\t\n\xc2\xa0\xe2\x80\xa8\xf3\xa0\x80\x81"),
      HasSubstr(R"(: \"a\\\"\\\\\u003c\u0026\\xff)"
                "\xc3\xa9"
                R"(\\x01\\x7f\\t\\n\\u00a0\\u2028\\U000e0001\""})"));
}

}  // namespace
}  // namespace vigil::notifier
