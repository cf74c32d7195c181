// Differential test against the real Alertmanager 0.25 (Debian's `prometheus-alertmanager`):
// the same configuration and the same timed alert stream (POST /api/v2/alerts) go into
// both; the webhook notifications each one sends must be the same — receiver, groupKey,
// status, the alert set (labels and status), groupLabels, commonLabels — timestamps aside.
// The stream covers grouping, group_wait and group_interval, `continue`, inhibition, a
// silence and its expiry, send_resolved, and resolution.

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <tuple>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/base/format.h"
#include "tests/support/mesh_fixture.h"
#include "tests/support/process.h"

namespace vigil::testing {
namespace {

using nlohmann::json;

constexpr char kAlertmanager[] = "/usr/bin/prometheus-alertmanager";

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() %
            1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

// The same instant as Go's time.RFC3339Nano writes it (what Alertmanager's webhook
// bodies carry): trailing zeros of the fraction dropped, and the dot with them.
std::string GoRfc3339Nano(std::chrono::system_clock::time_point t) {
  std::string s = Rfc3339(t);
  s.pop_back();  // 'Z'
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "Z";
}

// The configuration both systems load; only the webhook URL differs.
std::string Config(const std::string& url) {
  return StrCat(
      "route:\n"
      "  receiver: default\n"
      "  group_by: [alertname, cluster]\n"
      "  group_wait: 1s\n"
      "  group_interval: 2s\n"
      "  repeat_interval: 1h\n"
      "  routes:\n"
      "    - receiver: db\n"
      "      matchers: [team=\"db\"]\n"
      "      continue: true\n"
      "    - receiver: pager\n"
      "      matchers: [severity=\"critical\"]\n"
      "      group_by: [cluster]\n"
      "receivers:\n"
      "  - name: default\n"
      "    webhook_configs: [{url: '",
      url,
      "/default'}]\n"
      "  - name: db\n"
      "    webhook_configs: [{url: '",
      url,
      "/db', send_resolved: false}]\n"
      "  - name: pager\n"
      "    webhook_configs: [{url: '",
      url,
      "/pager'}]\n"
      "inhibit_rules:\n"
      "  - source_matchers: [alertname=\"ClusterDown\"]\n"
      "    target_matchers: [severity=\"warning\"]\n"
      "    equal: [cluster]\n");
}

// Both systems are told they are reached under this URL (payloads' externalURL).
constexpr char kExternalUrl[] = "http://alerts.example:9093/";

// One webhook notification with the timestamps and alerts' URLs stripped: what must be equal.
json Normalize(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return json{{"unparsable", body}};
  std::vector<json> alerts;
  for (const auto& a : j["alerts"]) {
    alerts.push_back(json{{"status", a.value("status", "")}, {"labels", a["labels"]}});
  }
  std::sort(alerts.begin(), alerts.end(),
            [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return json{{"receiver", j.value("receiver", "")},
              {"groupKey", j.value("groupKey", "")},
              {"status", j.value("status", "")},
              {"groupLabels", j["groupLabels"]},
              {"commonLabels", j["commonLabels"]},
              {"truncatedAlerts", j.value("truncatedAlerts", 0)},
              {"version", j.value("version", "")},
              {"externalURL", j.value("externalURL", "")},
              {"alerts", alerts}};
}

// Notifications [from, to) as a sorted list (order between groups flushed at the same
// tick is not defined in either system).
std::vector<std::string> Slice(const std::vector<std::string>& bodies, size_t from, size_t to) {
  std::vector<std::string> out;
  for (size_t i = from; i < to && i < bodies.size(); ++i) out.push_back(Normalize(bodies[i]).dump());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// One system under test: its HTTP port, its process, its webhook receiver.
struct System {
  std::string name;
  int port = 0;
  std::unique_ptr<Process> process;
  WebhookReceiver hook;
};

class NotifierDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kAlertmanager, X_OK) != 0) {
      GTEST_SKIP() << kAlertmanager << " not installed (Debian package prometheus-alertmanager)";
    }
    dir_ = MakeTempDir("notifier-diff");
    am_.name = "alertmanager";
    vigil_.name = "vigil-notifier";
    am_.port = FreePort();
    vigil_.port = FreePort();
    WriteFile(dir_ + "/am.yml", ConfigFor(am_));
    WriteFile(dir_ + "/vigil.yml", ConfigFor(vigil_));
    am_.process = std::make_unique<Process>(
        std::vector<std::string>{kAlertmanager, "--config.file=" + dir_ + "/am.yml",
                                 "--storage.path=" + dir_ + "/am-data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(am_.port),
                                 "--cluster.listen-address=", "--log.level=warn",
                                 std::string("--web.external-url=") + kExternalUrl},
        dir_, dir_ + "/alertmanager.log");
    vigil_.process = std::make_unique<Process>(
        std::vector<std::string>{
            BinDir() + "/vigil-notifier", "--config.file=" + dir_ + "/vigil.yml",
            "--storage.path=" + dir_ + "/vigil-data",
            "--web.listen-address=127.0.0.1:" + std::to_string(vigil_.port),
            "--grpc.listen-address=127.0.0.1:" + std::to_string(FreePort()),
            "--bus.publish-address=tcp://127.0.0.1:0", "--evaluator.grpc-address=none",
            std::string("--web.external-url=") + kExternalUrl},
        dir_, dir_ + "/notifier.log");
    for (System* s : {&am_, &vigil_}) {
      ASSERT_TRUE(WaitFor([&] { return HttpGet(s->port, "/-/ready").first == 200; }))
          << s->name << " not ready:\n" << s->process->Log();
    }
  }

  void TearDown() override {
    for (System* s : {&am_, &vigil_}) {
      if (s->process) {
        s->process->Signal(SIGTERM);
        s->process->Wait();
      }
    }
    if (!dir_.empty() && !HasFailure()) RemoveTree(dir_);
  }

  // The configuration `s` loads; variants of the test override it.
  virtual std::string ConfigFor(const System& s) { return Config(s.hook.url()); }

  // Posts the same alerts to both systems, back to back.
  void PostAlerts(const json& alerts) {
    for (System* s : {&am_, &vigil_}) {
      auto [code, body] = HttpPost(s->port, "/api/v2/alerts", alerts.dump());
      ASSERT_EQ(code, 200) << s->name << ": " << body;
    }
  }

  using Steady = std::chrono::steady_clock;

  // Waits until both systems have sent `want` notifications in total, then compares the
  // ones sent since the previous phase. With `not_before`, each of them must also have
  // arrived no earlier than that (a timer that fired early is a difference the bodies do
  // not show).
  void ExpectPhase(const std::string& phase, size_t want, Steady::time_point not_before = {}) {
    for (System* s : {&am_, &vigil_}) {
      EXPECT_TRUE(WaitFor([&] { return s->hook.bodies().size() >= want; },
                          std::chrono::seconds(10)))
          << phase << ": " << s->name << " sent " << s->hook.bodies().size() << " of " << want
          << " notifications:\n"
          << Join(Slice(s->hook.bodies(), 0, 1000)) << s->process->Log();
      const auto times = s->hook.times();
      for (size_t i = seen_; i < want && i < times.size(); ++i) {
        EXPECT_GE(times[i], not_before)
            << phase << ": " << s->name << "'s notification " << i << " came "
            << std::chrono::duration_cast<std::chrono::milliseconds>(not_before - times[i]).count()
            << " ms early";
      }
    }
    auto am = Slice(am_.hook.bodies(), seen_, want);
    auto vigil = Slice(vigil_.hook.bodies(), seen_, want);
    EXPECT_EQ(vigil, am) << phase << "\nvigil:\n"
                         << Join(vigil) << "alertmanager:\n"
                         << Join(am);
    if (getenv("VIGIL_DIFF_DUMP")) std::cerr << phase << ":\n" << Join(vigil);
    seen_ = want;
  }

  static json Alert(json labels, std::chrono::system_clock::time_point starts,
                    std::chrono::system_clock::time_point ends = {}) {
    json a{{"labels", std::move(labels)},
           {"annotations", {{"summary", "differential"}}},
           {"startsAt", Rfc3339(starts)},
           {"generatorURL", "http://example/graph"}};
    if (ends != std::chrono::system_clock::time_point{}) a["endsAt"] = Rfc3339(ends);
    return a;
  }

  std::string dir_;
  System am_, vigil_;
  size_t seen_ = 0;
};

TEST_F(NotifierDifferentialTest, SameNotificationsAsAlertmanager) {
  using Clock = std::chrono::system_clock;
  const auto t0 = Clock::now();

  // A silence for alertname=Noisy on both, created before any alert.
  std::vector<std::string> silence_ids;
  for (System* s : {&am_, &vigil_}) {
    json silence{{"matchers", {{{"name", "alertname"}, {"value", "Noisy"}, {"isRegex", false},
                                {"isEqual", true}}}},
                 {"startsAt", Rfc3339(t0)},
                 {"endsAt", Rfc3339(t0 + std::chrono::hours(1))},
                 {"createdBy", "differential"},
                 {"comment", "noisy"}};
    auto [code, body] = HttpPost(s->port, "/api/v2/silences", silence.dump());
    ASSERT_EQ(code, 200) << s->name << ": " << body;
    silence_ids.push_back(json::parse(body).value("silenceID", ""));
  }

  const json hl_a1 = {{"alertname", "HighLatency"}, {"cluster", "a"}, {"instance", "1"},
                      {"severity", "warning"}};
  const json hl_a2 = {{"alertname", "HighLatency"}, {"cluster", "a"}, {"instance", "2"},
                      {"severity", "warning"}};
  const json hl_a3 = {{"alertname", "HighLatency"}, {"cluster", "a"}, {"instance", "3"},
                      {"severity", "warning"}};
  const json hl_b1 = {{"alertname", "HighLatency"}, {"cluster", "b"}, {"instance", "1"},
                      {"severity", "warning"}};
  const json hl_c1 = {{"alertname", "HighLatency"}, {"cluster", "c"}, {"instance", "1"},
                      {"severity", "warning"}};
  const json db_slow = {{"alertname", "DBSlow"}, {"cluster", "a"}, {"team", "db"},
                        {"severity", "warning"}};
  const json db_down = {{"alertname", "DBDown"}, {"cluster", "a"}, {"team", "db"},
                        {"severity", "critical"}};
  const json cluster_down = {{"alertname", "ClusterDown"}, {"cluster", "c"},
                             {"severity", "critical"}};
  const json noisy = {{"alertname", "Noisy"}, {"cluster", "a"}, {"severity", "info"}};

  // Phase 1 (t0): every group is new; all flush after group_wait (1s). HighLatency in
  // cluster c is inhibited by ClusterDown, Noisy is silenced: neither is sent. DBDown
  // goes to db and (continue) to pager; DBSlow only to db.
  // Timers are checked from below: a group's flush cannot come before it is due, so a
  // notification that arrives earlier than its timer (less a few ms of clock rounding and
  // of delivery of the phase before) was sent early.
  constexpr auto kSlack = std::chrono::milliseconds(100);
  const auto start = Clock::now();
  const auto posted1 = Steady::now();
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array(
      {Alert(hl_a1, start), Alert(hl_a2, start), Alert(hl_b1, start), Alert(hl_c1, start),
       Alert(db_slow, start), Alert(db_down, start), Alert(cluster_down, start),
       Alert(noisy, start)})));
  ASSERT_NO_FATAL_FAILURE(
      ExpectPhase("phase 1: group_wait", 6, posted1 + std::chrono::seconds(1) - kSlack));
  // The groups' next flushes: group_interval (2s) after their first, which was at the
  // earliest just before the first of their notifications arrived.
  const auto flushed1 = std::min(am_.hook.times()[0], vigil_.hook.times()[0]);

  // Phase 2 (t0+~1s): a new alert joins a flushed group, and three alerts resolve; all
  // wait for the groups' next group_interval tick (t0+3s). Resolving ClusterDown lifts
  // the inhibition of HighLatency in cluster c. db has send_resolved: false.
  const auto now2 = Clock::now();
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array(
      {Alert(hl_a3, now2), Alert(hl_b1, start, now2), Alert(cluster_down, start, now2),
       Alert(db_slow, start, now2)})));
  ASSERT_NO_FATAL_FAILURE(
      ExpectPhase("phase 2: group_interval", 10, flushed1 + std::chrono::seconds(2) - kSlack));

  // Phase 3 (t0+~3s): the silence expires and cluster a's latency alerts resolve; both
  // are sent at the next tick (t0+5s).
  for (size_t i = 0; i < 2; ++i) {
    System* s = i == 0 ? &am_ : &vigil_;
    ASSERT_FALSE(silence_ids[i].empty());
    httplib::Client client("127.0.0.1", s->port);
    auto res = client.Delete(("/api/v2/silence/" + silence_ids[i]).c_str());
    ASSERT_TRUE(res) << s->name;
    ASSERT_EQ(res->status, 200) << s->name << ": " << res->body;
  }
  const auto now3 = Clock::now();
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array(
      {Alert(hl_a1, start, now3), Alert(hl_a2, start, now3), Alert(hl_a3, now2, now3)})));
  ASSERT_NO_FATAL_FAILURE(ExpectPhase("phase 3: silence expired, resolve", 12,
                                      flushed1 + std::chrono::seconds(4) - kSlack));
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(am_.hook.bodies().size(), 12u);
  EXPECT_EQ(vigil_.hook.bodies().size(), 12u);
}

// repeat_interval: a firing group that does not change is notified again once
// repeat_interval has passed since the last notification, by both, with the same payload.
class NotifierRepeatTest : public NotifierDifferentialTest {
 protected:
  std::string ConfigFor(const System& s) override {
    return StrCat(
        "route:\n"
        "  receiver: default\n"
        "  group_by: [alertname]\n"
        "  group_wait: 1s\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 3s\n"
        "receivers:\n"
        "  - name: default\n"
        "    webhook_configs: [{url: '",
        s.hook.url(), "/default'}]\n");
  }
};

TEST_F(NotifierRepeatTest, RepeatsAfterRepeatInterval) {
  const auto start = std::chrono::system_clock::now();
  const json a = {{"alertname", "Sticky"}, {"instance", "1"}};
  const json b = {{"alertname", "Sticky"}, {"instance", "2"}};
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array({Alert(a, start), Alert(b, start)})));
  ASSERT_NO_FATAL_FAILURE(ExpectPhase("first notification", 1));
  // Nothing changes; the alerts are re-posted only to keep them from timing out. The
  // repeat comes once repeat_interval (3s) has passed, not at a group_interval (1s) before.
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array({Alert(a, start), Alert(b, start)})));
  const auto first = std::min(am_.hook.times()[0], vigil_.hook.times()[0]);
  ASSERT_NO_FATAL_FAILURE(
      ExpectPhase("repeat", 2, first + std::chrono::seconds(3) - std::chrono::milliseconds(100)));
  EXPECT_EQ(Normalize(am_.hook.bodies()[0]), Normalize(am_.hook.bodies()[1]));
  EXPECT_EQ(Normalize(vigil_.hook.bodies()[0]), Normalize(vigil_.hook.bodies()[1]));
}

// Byte for byte: the webhook body vigil sends is Alertmanager's, for a receiver name
// that regexp.QuoteMeta changes and values Go's JSON encoder escapes (<, >, &, U+2028,
// control bytes) or keeps (DEL, UTF-8), the external URL (--web.external-url, its
// trailing slash dropped) included. (With a path in it Alertmanager would serve its API
// under that path; vigil serves at / whatever the URL: docs/DIFFERENCES.md.)
class NotifierBytesTest : public NotifierDifferentialTest {
 protected:
  std::string ConfigFor(const System& s) override {
    return StrCat(
        "route:\n"
        "  receiver: 'team.a+b'\n"
        "  group_by: [alertname]\n"
        "  group_wait: 0s\n"
        "receivers:\n"
        "  - name: 'team.a+b'\n"
        "    webhook_configs: [{url: '",
        s.hook.url(), "/x'}]\n");
  }
};

TEST_F(NotifierBytesTest, WebhookBodiesAreAlertmanagersByteForByte) {
  const auto start = std::chrono::system_clock::now();
  json a = Alert({{"alertname", "A<b>&c"}, {"x", "\u2028\b\x7f\u00e9 \"q\" \\ \u00a0"}}, start);
  a["annotations"] = {{"u", "http://x/?a=1&b=<2>"}, {"summary", "line\nbreak\ttab"}};
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array({a})));
  ASSERT_NO_FATAL_FAILURE(ExpectPhase("tricky values", 1));
  ASSERT_EQ(am_.hook.bodies().size(), 1u);
  ASSERT_EQ(vigil_.hook.bodies().size(), 1u);
  EXPECT_EQ(vigil_.hook.bodies()[0], am_.hook.bodies()[0]);
}

// The group key byte for byte: a route whose matchers come as one string of several
// (Alertmanager sorts them by name, then value, then type: `a=~"x.*"` before `a="x1"`) and group
// labels one of whose names extends another's (Alertmanager sorts the `name="value"` texts: `foo2=`
// first).
class NotifierGroupKeyBytesTest : public NotifierBytesTest {
 protected:
  std::string ConfigFor(const System& s) override {
    return StrCat(
        "route:\n"
        "  receiver: r\n"
        "  group_wait: 0s\n"
        "  routes:\n"
        "    - receiver: r\n"
        "      group_by: [foo, foo2]\n"
        "      matchers: ['{a=~\"x.*\", a=\"x1\"}', 'b!=\"q\"']\n"
        "receivers:\n"
        "  - name: r\n"
        "    webhook_configs: [{url: '",
        s.hook.url(), "/x'}]\n");
  }
};

TEST_F(NotifierGroupKeyBytesTest, GroupKeysAreAlertmanagers) {
  const json a = Alert({{"alertname", "K"}, {"a", "x1"}, {"foo", "1"}, {"foo2", "2"}},
                       std::chrono::system_clock::now());
  ASSERT_NO_FATAL_FAILURE(PostAlerts(json::array({a})));
  ASSERT_NO_FATAL_FAILURE(ExpectPhase("one group", 1));
  ASSERT_EQ(am_.hook.bodies().size(), 1u);
  ASSERT_EQ(vigil_.hook.bodies().size(), 1u);
  EXPECT_EQ(json::parse(am_.hook.bodies()[0])["groupKey"],
            R"({}/{a=~"x.*",a="x1",b!="q"}:{foo2="2", foo="1"})");
  EXPECT_EQ(vigil_.hook.bodies()[0], am_.hook.bodies()[0]);
}

// The API v2 answers (GET /api/v2/alerts, /alerts/groups, /silence/{id}, /silences,
// /receivers) byte for byte as Alertmanager's for strings Go's encoder escapes, times and
// ids set aside (each system sets its own). An invalid UTF-8 byte posted becomes U+FFFD
// in both (Go's decoder replaces it; vigil's reader does the same).
class NotifierApiBytesTest : public NotifierBytesTest {
 protected:
  std::string ConfigFor(const System& s) override {
    return NotifierBytesTest::ConfigFor(s) + "  - name: '<a&b>'\n";
  }
  static std::string WithoutTimesAndIds(const std::string& body) {
    static const std::regex times(R"re("(endsAt|startsAt|updatedAt|id)":"[^"]*")re");
    return std::regex_replace(body, times, R"("$1":"")");
  }
  // The same GET on both; the bodies, times and ids aside, must be equal.
  void ExpectSameAnswer(const std::string& path) {
    auto [am_code, am_body] = HttpGet(am_.port, path);
    auto [vigil_code, vigil_body] = HttpGet(vigil_.port, path);
    EXPECT_EQ(vigil_code, am_code) << path;
    EXPECT_EQ(WithoutTimesAndIds(vigil_body), WithoutTimesAndIds(am_body)) << path;
  }
};

TEST_F(NotifierApiBytesTest, ApiAnswersAreAlertmanagersByteForByte) {
  const std::string tricky = "<a&b>\u2028\b\x7f\xff\u00e9 \"q\" \\ \t";
  const auto start = std::chrono::system_clock::now();
  // Posted as raw bytes: nlohmann's dump would refuse the invalid byte.
  const std::string alerts =
      StrCat(R"([{"labels":{"alertname":"A<b>","x_y":")", "\\u003c\\u2028\xff\\b", R"("},)",
             R"("annotations":{"summary":"<a&b>\u2028)", "\xff", R"("},)", R"("startsAt":")",
             Rfc3339(start), R"(","generatorURL":"http://x/?a=1&b=2"}])");
  for (System* s : {&am_, &vigil_}) {
    auto [code, body] = HttpPost(s->port, "/api/v2/alerts", alerts);
    ASSERT_EQ(code, 200) << s->name << ": " << body;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectPhase("tricky alert", 1));
  ExpectSameAnswer("/api/v2/alerts");
  ExpectSameAnswer("/api/v2/alerts/groups");
  ExpectSameAnswer("/api/v2/receivers");

  const json silence{
      {"matchers", json::array({{{"name", "x_y"}, {"value", tricky}, {"isRegex", false}}})},
      {"startsAt", Rfc3339(start)},
      {"endsAt", Rfc3339(start + std::chrono::hours(1))},
      {"createdBy", tricky},
      {"comment", tricky}};
  std::map<std::string, std::string> ids;
  for (System* s : {&am_, &vigil_}) {
    auto [code, body] = HttpPost(s->port, "/api/v2/silences",
                                 silence.dump(-1, ' ', false, json::error_handler_t::replace));
    ASSERT_EQ(code, 200) << s->name << ": " << body;
    ids[s->name] = json::parse(body).value("silenceID", "");
  }
  auto [am_code, am_body] = HttpGet(am_.port, "/api/v2/silence/" + ids[am_.name]);
  auto [vigil_code, vigil_body] = HttpGet(vigil_.port, "/api/v2/silence/" + ids[vigil_.name]);
  ASSERT_EQ(am_code, 200) << am_body;
  ASSERT_EQ(vigil_code, 200) << vigil_body;
  EXPECT_EQ(WithoutTimesAndIds(vigil_body), WithoutTimesAndIds(am_body));
  ExpectSameAnswer("/api/v2/silences");
  ExpectSameAnswer("/api/v2/silence/0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1");  // 404, no body

  // A silence posted with an invalid UTF-8 byte and unpaired surrogate escapes: read as
  // Go reads them (U+FFFD), not refused; listed after the first (active ones by end).
  const std::string raw = StrCat(
      R"({"matchers":[{"name":"x_y","value":"b)", "\xff", R"(\ud800","isRegex":false}],)",
      R"("startsAt":")", Rfc3339(start), R"(","endsAt":")",
      Rfc3339(start + std::chrono::hours(2)), R"(","createdBy":"\udc00","comment":"c"})");
  for (System* s : {&am_, &vigil_}) {
    auto [code, body] = HttpPost(s->port, "/api/v2/silences", raw);
    ASSERT_EQ(code, 200) << s->name << ": " << body;
  }
  ExpectSameAnswer("/api/v2/silences");
}

// API answers only: a receiver with no integration, so nothing is delivered.
class NotifierApiOnlyTest : public NotifierDifferentialTest {
 protected:
  std::string ConfigFor(const System&) override {
    return "route:\n  receiver: none\nreceivers:\n  - name: none\n";
  }
};

// Keys name fields as Go's encoding/json matches them, case-insensitively (ſ for s too),
// in posted alerts and silences; the answers then list the same, times given kept.
TEST_F(NotifierApiOnlyTest, KeysMatchFieldsCaseInsensitivelyAsInGo) {
  const auto now = std::chrono::system_clock::now();
  const std::string alerts =
      StrCat(R"([{"LABELS":{"alertname":"Case","X":"y"},"Annotations":{"s":"t"},"STARTSAT":")",
             Rfc3339(now - std::chrono::minutes(5)), R"(","endsat":")",
             Rfc3339(now + std::chrono::hours(1)), R"(","GeneratorUrl":"http://g"}])");
  const std::string silence = StrCat(
      R"({"MATCHERS":[{"NAME":"X","Value":"y","i)", "\xC5\xBF", R"(Regex":false,"ISEQUAL":true}],)",
      "\"\xC5\xBFtart\xC5\xBF" "At\":\"", Rfc3339(now + std::chrono::hours(1)), R"(","endsat":")",
      Rfc3339(now + std::chrono::hours(2)),
      R"(","createdBy":"first","CreatedBy":"last","COMMENT":"c"})");
  for (System* s : {&am_, &vigil_}) {
    auto [code, body] = HttpPost(s->port, "/api/v2/alerts", alerts);
    ASSERT_EQ(code, 200) << s->name << ": " << body;
    std::tie(code, body) = HttpPost(s->port, "/api/v2/silences", silence);
    ASSERT_EQ(code, 200) << s->name << ": " << body;
  }
  static const std::regex set_by_each(R"re("(updatedAt|id)":"[^"]*")re");
  for (const std::string path : {"/api/v2/alerts", "/api/v2/silences"}) {
    auto am = HttpGet(am_.port, path);
    auto vigil = HttpGet(vigil_.port, path);
    EXPECT_EQ(vigil.first, am.first) << path;
    EXPECT_EQ(std::regex_replace(vigil.second, set_by_each, R"("$1":"")"),
              std::regex_replace(am.second, set_by_each, R"("$1":"")"))
        << path;
  }
}

// POST /api/v2/alerts answers as Alertmanager's per kind of error, byte for byte: an
// invalid alert is left out and its error (Alertmanager's words, "; "-joined) sent as a
// JSON string and a newline, 400, once the valid ones are taken; an alert without labels
// or no body is go-openapi's 422 {"code":602,...}, a generatorURL that Go's
// url.ParseRequestURI refuses its 422 {"code":601,...} (both refusing the whole body, its
// valid alerts too); a body that does not decode is go-openapi's 400 {"code":400,
// "message":"parsing alerts body from \"\" failed, because ..."} (the reason in vigil's
// words, not Go's), without a newline.
TEST_F(NotifierApiOnlyTest, PostedAlertsErrorsAnswerAsAlertmanager) {
  const std::vector<std::string> same = {
      R"([{"labels":{}}])",
      R"([{"labels":{"a":""}}])",
      R"([{"labels":{"a b":"x"}}])",
      R"([{"labels":{"a":"b"},"annotations":{"x y":"z"}}])",
      R"([{"labels":{"a":"b"},"startsAt":"2020-01-02T00:00:00Z","endsAt":"2020-01-01T00:00:00Z"}])",
      R"([{"labels":{"a":"stored1"}},{"labels":{}},{"labels":{"b<c":"x"}},)"
      R"({"labels":{"a":"stored2"},"annotations":{"q\"r":"1"}}])",
      R"([{"labels":{"a":"resolved"},"endsAt":"2020-01-01T00:00:00Z"}])",
      R"([{"labels":{"a":"b"}},{}])",
      R"([{"labels":null}])",
      R"([{"labels":{"a":"notstored"}},{"labels":{"a":"b"},"generatorURL":"%zz"}])",
      R"([{},{"labels":{"a":"b"},"generatorURL":"%zz"}])",
      R"([{"labels":{"a":"b"},"generatorURL":"http://a b"},{}])",
      R"([{"generatorURL":":foo"}])",
      R"([{"labels":{"1x":"b"},"generatorURL":"foo/bar"}])",
      R"([{"labels":{"a":"b"},"GeneratorUrl":"http://x/\u0001<\"\\\u00e9\u00a0%"}])",
      R"([{"labels":{"a":"nullreset"},"generatorURL":"%zz","generatorURL":null}])",
      // A key repeated, in any case: a later null undoes labels or annotations (Go sets
      // the map to nil), not a time; later objects merge.
      R"([{"labels":{"a":"b"},"labels":null}])",
      R"([{"Labels":{"a":"b"},"labels":null}])",
      R"([{"labels":{"a":"b"},"labels":{"a":""}}])",
      R"([{"labels":null,"labels":{"a":"relabelled"}}])",
      R"([{"labels":{"0x":"b"},"labels":null,"labels":{"a":"renamed"}}])",
      R"([{"labels":{"a":"merged"},"Labels":{"c":"d"}}])",
      R"([{"labels":{"0x":"v","0x":"","a":"emptied"}}])",
      R"([{"labels":{"0x":"v","a":"emptied2"},"Labels":{"0x":""}}])",
      R"([{"labels":{"a":"b"},"annotations":{"0x":"v"},"annotations":{"0x":""}}])",
      R"([{"labels":{"a":"noannotations"},"annotations":{"s":"t"},"annotations":null}])",
      R"([{"labels":{"a":"noannotations2"},"Annotations":{"0x":"t"},"annotations":null}])",
      R"([{"labels":{"a":"timekept"},"StartsAt":"2020-01-01T00:00:00Z","startsAt":null,)"
      R"("EndsAt":"2020-01-02T00:00:00Z","endsAt":null}])",
      "",
      "null",
      "[]",
  };
  for (const std::string& body : same) {
    auto am = HttpPost(am_.port, "/api/v2/alerts", body);
    auto vigil = HttpPost(vigil_.port, "/api/v2/alerts", body);
    EXPECT_EQ(vigil, am) << body;
  }
  // Go's url.ParseRequestURI, rule by rule (see GoParsesRequestUri).
  for (const std::string url :
       {"", "*", "**", "/", "/a b", "x", "foo/bar", "?q", "#f", "//x", ":foo", "1a:b", "a_b:c",
        "a:%zz", "mailto:a b", "http:", "http://x/?%zz", "http://x/#%zz", "/%4", "/%41",
        "http://x/100%", "http://x%41", "http://x%C3%A9", "http://x#y", "http://x{y",
        "http://x<y>\"!$&'()*+,;=~", "http://x:8a", "http://x:80:90", "http://[::1",
        "http://[::1]x", "http://[::1]]", "http://[::1%25en%200]", "http://[::1%25en%2f0]",
        "http://[::1%25en%C3%A9]", "http://[::1%C3]", "http://a b@x", "http://a%3:b@x",
        "http://a:b:c@x", "http://\u00e9@x", "http://x/\t", "http://x/\x7f"}) {
    const std::string body =
        json::array({{{"labels", {{"a", "url"}}}, {"generatorURL", url}}}).dump();
    auto am = HttpPost(am_.port, "/api/v2/alerts", body);
    auto vigil = HttpPost(vigil_.port, "/api/v2/alerts", body);
    EXPECT_EQ(vigil, am) << body;
  }
  const std::string undecodable = R"({"code":400,"message":"parsing alerts body from \"\" failed, because )";
  for (const std::string body :
       {"xx", "{}", "[1]", R"([{"labels":{"a":1}}])", R"([{"labels":"x"}])",
        R"([{"labels":{"a":"b"},"startsAt":"bad"}])", R"([{"labels":{"a":"b"},"endsAt":5}])",
        R"([{"labels":{"a":1}},{}])"}) {
    for (System* s : {&am_, &vigil_}) {
      auto [code, answer] = HttpPost(s->port, "/api/v2/alerts", body);
      EXPECT_EQ(code, 400) << s->name << ": " << body;
      EXPECT_EQ(answer.rfind(undecodable, 0), 0u) << s->name << ": " << answer;
      EXPECT_EQ(answer.back(), '}') << s->name << ": " << answer;
    }
  }
  // The valid alerts of the bodies with invalid ones were taken.
  static const std::regex times(R"re("(endsAt|startsAt|updatedAt)":"[^"]*")re");
  auto am = HttpGet(am_.port, "/api/v2/alerts");
  auto vigil = HttpGet(vigil_.port, "/api/v2/alerts");
  EXPECT_EQ(vigil.first, am.first);
  // The same alerts, byte for byte, in the same order (by fingerprint), times aside.
  EXPECT_EQ(std::regex_replace(vigil.second, times, R"("$1":"")"),
            std::regex_replace(am.second, times, R"("$1":"")"));
  EXPECT_NE(am.second.find("stored1"), std::string::npos) << am.second;
  EXPECT_EQ(am.second.find("notstored"), std::string::npos) << am.second;
}

// A request's answer from one system: status and raw body.
std::pair<int, std::string> Send(int port, const std::string& method, const std::string& path,
                                 const std::string& body = "") {
  httplib::Client client("127.0.0.1", port);
  httplib::Result r =
      method == "DELETE" ? client.Delete(path)
      : method == "POST" ? client.Post(path, body, "application/json")
                         : client.Get(path);
  if (!r) return {0, ""};
  return {r->status, r->body};
}

// The answers about silences that are not there, or whose id is no UUID, byte for byte:
// go-openapi refuses a path silenceID of the wrong format (422, code 601, the value
// quoted as Go's %q, no newline); an unknown id is "silence not found", 404 to a POST and
// 500 to a DELETE; expiring an expired silence is a 200.
TEST_F(NotifierApiBytesTest, UnknownAndMalformedSilenceIdsAnswerAsAlertmanager) {
  const auto start = std::chrono::system_clock::now();
  auto posted = [&](const std::string& id) {
    json s{{"matchers", json::array({{{"name", "a"}, {"value", "b"}, {"isRegex", false}}})},
           {"startsAt", Rfc3339(start)},
           {"endsAt", Rfc3339(start + std::chrono::hours(1))},
           {"createdBy", "c"},
           {"comment", "c"}};
    if (!id.empty()) s["id"] = id;
    return s.dump();
  };
  const std::string unknown = "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1";
  struct Request {
    std::string method, path, body;
  };
  std::vector<Request> requests = {
      {"DELETE", "/api/v2/silence/" + unknown},
      {"POST", "/api/v2/silences", posted(unknown)},
      {"POST", "/api/v2/silences", posted("not-a-uuid")},  // the body's id is not checked
      // strfmt's UUIDs: any case, each dash optional.
      {"GET", "/api/v2/silence/0B6E5E448F8A-4A4B9C52-0BD4F5A0E4A1"},
      {"DELETE", "/api/v2/silence/0B6E5E448F8A-4A4B9C52-0BD4F5A0E4A1"},
  };
  for (const std::string& id :
       {"abc", "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a", "0b6e5e44--8f8a-4a4b-9c52-0bd4f5a0e4a1",
        "%7B0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1%7D", "0b6e5e44-8f8a-4a4b-9c52-0bd4f5a0e4a1%0A",
        "a%22b%5C%3Cc%3E%26", "%FF%C3%A9%00%7F%09", "%C2%A0%E2%80%A8%C2%AD%F3%A0%80%81"}) {
    requests.push_back({"GET", StrCat("/api/v2/silence/", id)});
    requests.push_back({"DELETE", StrCat("/api/v2/silence/", id)});
  }
  for (const Request& r : requests) {
    auto am = Send(am_.port, r.method, r.path, r.body);
    auto vigil = Send(vigil_.port, r.method, r.path, r.body);
    EXPECT_EQ(vigil, am) << r.method << " " << r.path << " " << r.body;
  }

  // Expired twice: 200, and no body, both times.
  for (System* s : {&am_, &vigil_}) {
    auto [code, body] = Send(s->port, "POST", "/api/v2/silences", posted(""));
    ASSERT_EQ(code, 200) << s->name << ": " << body;
    const std::string path = "/api/v2/silence/" + json::parse(body).value("silenceID", "");
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(Send(s->port, "DELETE", path), std::make_pair(200, std::string()))
          << s->name << " " << i;
    }
  }
}

// vigil's alertmanager_configs receiver: vigil-notifier forwards its notifications'
// alerts to the real Alertmanager (POST /api/v2/alerts), which then holds them — read
// back through its API — and notifies its own webhook, also when one resolves.
class NotifierForwardTest : public NotifierDifferentialTest {
 protected:
  std::string ConfigFor(const System& s) override {
    if (&s == &am_) {
      return StrCat(
          "route:\n"
          "  receiver: default\n"
          "  group_by: [alertname]\n"
          "  group_wait: 0s\n"
          "  group_interval: 1s\n"
          "receivers:\n"
          "  - name: default\n"
          "    webhook_configs: [{url: '",
          s.hook.url(), "/default'}]\n");
    }
    return StrCat(
        "route:\n"
        "  receiver: downstream\n"
        "  group_by: [alertname]\n"
        "  group_wait: 0s\n"
        "  group_interval: 1s\n"
        "receivers:\n"
        "  - name: downstream\n"
        "    alertmanager_configs: [{url: 'http://127.0.0.1:",
        am_.port, "/'}]\n");
  }

  // Alertmanager's alerts (GET /api/v2/alerts) by their `instance` label.
  std::map<std::string, json> AlertmanagerAlerts() {
    auto [code, body] = HttpGet(am_.port, "/api/v2/alerts");
    std::map<std::string, json> out;
    if (code != 200) return out;
    for (const json& a : json::parse(body, nullptr, false)) {
      out[a["labels"].value("instance", "")] = a;
    }
    return out;
  }
};

TEST_F(NotifierForwardTest, AlertsReachAlertmanagerAndResolve) {
  const auto start = std::chrono::system_clock::now();
  const json a = {{"alertname", "Forwarded"}, {"instance", "1"}};
  const json b = {{"alertname", "Forwarded"}, {"instance", "2"}};
  auto [code, body] = HttpPost(vigil_.port, "/api/v2/alerts",
                               json::array({Alert(a, start), Alert(b, start)}).dump());
  ASSERT_EQ(code, 200) << body;
  std::map<std::string, json> alerts;
  ASSERT_TRUE(WaitFor([&] {
    alerts = AlertmanagerAlerts();
    return alerts.size() == 2;
  })) << vigil_.process->Log() << am_.process->Log();
  for (const std::string instance : {"1", "2"}) {
    const json& got = alerts[instance];
    EXPECT_EQ(got["labels"], instance == "1" ? a : b);
    EXPECT_EQ(got["annotations"], json({{"summary", "differential"}}));
    EXPECT_EQ(got["generatorURL"], "http://example/graph");
    EXPECT_EQ(got["status"].value("state", ""), "active");
    EXPECT_EQ(got.value("startsAt", ""), Rfc3339(start));
  }
  // Alertmanager notifies its own webhook of the two.
  ASSERT_TRUE(WaitFor([&] { return am_.hook.Count("firing", "Forwarded") >= 1; }));

  // b resolves in vigil: forwarded with its endsAt, Alertmanager ends it and sends
  // the resolution to its webhook; a stays active.
  const auto end = std::chrono::system_clock::now();
  std::tie(code, body) =
      HttpPost(vigil_.port, "/api/v2/alerts", json::array({Alert(b, start, end)}).dump());
  ASSERT_EQ(code, 200) << body;
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& hook : am_.hook.bodies()) {
      json j = json::parse(hook, nullptr, false);
      for (const json& alert : j["alerts"]) {
        if (alert["labels"].value("instance", "") == "2" &&
            alert.value("status", "") == "resolved") {
          return alert.value("endsAt", "") == GoRfc3339Nano(end);
        }
      }
    }
    return false;
  })) << Join(am_.hook.bodies()) << vigil_.process->Log();
  alerts = AlertmanagerAlerts();
  EXPECT_EQ(alerts.count("2"), 0u);
  ASSERT_EQ(alerts.count("1"), 1u);
  EXPECT_EQ(alerts["1"]["status"].value("state", ""), "active");
}

}  // namespace
}  // namespace vigil::testing
