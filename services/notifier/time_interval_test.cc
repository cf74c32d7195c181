// Alertmanager's time intervals: parsing and containment, and the route stages that use
// them (mute_time_intervals, active_time_intervals).

#include "services/notifier/time_interval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/notifier/config.h"
#include "services/notifier/dispatcher.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TimestampMs At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(TimeIntervalTest, FieldParsers) {
  EXPECT_EQ(*ParseMinuteOfDay("00:00"), 0);
  EXPECT_EQ(*ParseMinuteOfDay("17:30"), 17 * 60 + 30);
  EXPECT_EQ(*ParseMinuteOfDay("24:00"), 1440);
  EXPECT_FALSE(ParseMinuteOfDay("24:01").ok());
  EXPECT_FALSE(ParseMinuteOfDay("9:00").ok());
  auto wd = ParseWeekdayRange("Monday:friday");
  ASSERT_TRUE(wd.ok());
  EXPECT_EQ(wd->begin, 1);
  EXPECT_EQ(wd->end, 5);
  EXPECT_FALSE(ParseWeekdayRange("friday:monday").ok());
  EXPECT_FALSE(ParseWeekdayRange("funday").ok());
  auto m = ParseMonthRange("january:3");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->begin, 1);
  EXPECT_EQ(m->end, 3);
  EXPECT_FALSE(ParseMonthRange("13").ok());
  EXPECT_TRUE(ParseDayOfMonthRange("-3:-1").ok());
  EXPECT_TRUE(ParseDayOfMonthRange("1:-1").ok());
  EXPECT_FALSE(ParseDayOfMonthRange("0").ok());
  EXPECT_FALSE(ParseDayOfMonthRange("-1:-3").ok());
  EXPECT_TRUE(ParseYearRange("2020:2022").ok());
}

TEST(TimeIntervalTest, ContainsChecksEveryFieldGiven) {
  TimeInterval business;
  business.times = {{9 * 60, 17 * 60}};
  business.weekdays = {*ParseWeekdayRange("monday:friday")};
  // 2026-11-26 is a Thursday.
  EXPECT_TRUE(business.Contains(At("2026-11-26T09:00:00Z")));
  EXPECT_FALSE(business.Contains(At("2026-11-26T17:00:00Z")));  // end exclusive
  EXPECT_FALSE(business.Contains(At("2026-11-28T10:00:00Z")));  // Saturday
  TimeInterval last_days;
  last_days.days_of_month = {*ParseDayOfMonthRange("-2:-1")};
  EXPECT_TRUE(last_days.Contains(At("2024-02-29T12:00:00Z")));  // leap year
  EXPECT_TRUE(last_days.Contains(At("2024-02-28T12:00:00Z")));
  EXPECT_FALSE(last_days.Contains(At("2024-02-27T12:00:00Z")));
  TimeInterval tz = business;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tz.location));
  EXPECT_TRUE(tz.Contains(At("2026-11-26T00:30:00Z")));   // 09:30 in Tokyo
  EXPECT_FALSE(tz.Contains(At("2026-11-26T09:30:00Z")));  // 18:30 in Tokyo
  TimeInterval any;
  EXPECT_TRUE(any.Contains(At("2026-11-26T03:00:00Z")));
}

constexpr char kConfig[] = R"(
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1h
  routes:
    - matchers: [team=night]
      mute_time_intervals: [business]
      routes:
        - matchers: [sub=yes]
    - matchers: [team=day]
      active_time_intervals: [business]
receivers:
  - name: hook
    webhook_configs: [{url: "http://127.0.0.1:1/hook"}]
time_intervals:
  - name: business
    time_intervals:
      - times: [{start_time: "09:00", end_time: "17:00"}]
        weekdays: ['monday:friday']
)";

size_t Notified(const labels::Labels& ls, TimestampMs now) {
  auto cfg = ParseConfig("am.yml", kConfig);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  Dispatcher d(std::make_shared<const Config>(std::move(*cfg)));
  v1::AlertBatch b;
  v1::AlertEvent* e = b.add_alerts();
  for (const labels::LabelView& l : ls) {
    v1::Label* p = e->add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  e->set_state(v1::ALERT_STATE_FIRING);
  e->set_fired_at_ms(now);
  e->set_valid_until_ms(now + 600'000);
  e->set_event_time_ms(now);
  d.OnAlerts(b, now);
  return d.Tick(now).size();
}

TEST(TimeIntervalTest, RouteMuteAndActiveIntervals) {
  const TimestampMs work = At("2026-11-26T10:00:00Z"), night = At("2026-11-26T22:00:00Z");
  EXPECT_EQ(Notified({{"alertname", "A"}, {"team", "night"}}, work), 0u);
  EXPECT_EQ(Notified({{"alertname", "A"}, {"team", "night"}}, night), 1u);
  // Not inherited: the child route has no mute interval of its own.
  EXPECT_EQ(Notified({{"alertname", "A"}, {"team", "night"}, {"sub", "yes"}}, work), 1u);
  EXPECT_EQ(Notified({{"alertname", "A"}, {"team", "day"}}, work), 1u);
  EXPECT_EQ(Notified({{"alertname", "A"}, {"team", "day"}}, night), 0u);
}

TEST(TimeIntervalTest, ConfigErrorsCarryPositions) {
  auto undefined = ParseConfig(
      "am.yml",
      "route:\n  receiver: r\n  routes:\n    - receiver: r\n      mute_time_intervals: [x]\n"
      "receivers: [{name: r}]\n");
  ASSERT_FALSE(undefined.ok());
  EXPECT_THAT(std::string(undefined.status().message()),
              HasSubstr("am.yml:5:29: undefined time interval \"x\""));
  auto root = ParseConfig("am.yml",
                          "route:\n  receiver: r\n  active_time_intervals: [t]\n"
                          "receivers: [{name: r}]\ntime_intervals: [{name: t}]\n");
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(std::string(root.status().message()), HasSubstr("root route must not have any"));
  auto bad = ParseConfig("am.yml",
                         "route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals:\n"
                         "  - name: t\n    time_intervals:\n      - weekdays: [someday]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("am.yml:6:20: invalid weekday"));
  auto tz = ParseConfig("am.yml",
                        "route: {receiver: r}\nreceivers: [{name: r}]\nmute_time_intervals:\n"
                        "  - name: t\n    time_intervals: [{location: Mars/Base}]\n");
  ASSERT_FALSE(tz.ok());
  EXPECT_THAT(std::string(tz.status().message()), HasSubstr("unknown time zone"));
}

}  // namespace
}  // namespace vigil::notifier
