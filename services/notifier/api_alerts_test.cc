#include "services/notifier/api_alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lib/labels/labels.h"

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
