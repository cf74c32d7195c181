// Bad input: missing or malformed configuration and rule files stop a service at once
// with file:line:col and what is wrong; a target that is unreachable or serves garbage
// becomes up=0 with the reason visible in `vigil status`, and nothing crashes.

#include <httplib.h>
#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "lib/base/format.h"
#include "tests/grpc_clients.h"
#include "tests/support/process.h"

namespace vigil::testing {
namespace {

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("vigil-badinput"); }
  void TearDown() override { RemoveTree(dir_); }

  // Runs a service on free ports with the given config; returns (exit code, output).
  std::pair<int, std::string> RunService(const std::string& name, const std::string& config) {
    std::vector<std::string> argv = {StrCat(BinDir(), "/vigil-", name), "--config.file=" + config,
                                     StrCat("--web.listen-address=127.0.0.1:", FreePort()),
                                     StrCat("--grpc.listen-address=127.0.0.1:", FreePort()),
                                     StrCat("--bus.publish-address=tcp://127.0.0.1:", FreePort())};
    if (name == "notifier" || name == "reporter") argv.push_back("--storage.path=" + dir_ + "/data");
    return RunCommand(argv, std::chrono::seconds(20));
  }

  std::string dir_;
};

TEST_F(BadInputTest, MissingConfigExitsNonZeroNamingTheFile) {
  for (const char* name : {"collector", "evaluator", "notifier", "reporter"}) {
    auto [code, out] = RunService(name, dir_ + "/absent.yml");
    EXPECT_NE(code, 0) << name;
    EXPECT_NE(out.find(dir_ + "/absent.yml"), std::string::npos) << name << ": " << out;
  }
}

TEST_F(BadInputTest, MalformedConfigsNameFileLineColumn) {
  WriteFile(dir_ + "/prometheus.yml", "global:\n  scrape_interval: 5x\n");
  auto [code, out] = RunService("collector", dir_ + "/prometheus.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/prometheus.yml:2:20: \"scrape_interval\": not a valid duration"),
            std::string::npos)
      << out;

  WriteFile(dir_ + "/prom-rules.yml", "rule_files: [rules.yml]\n");
  WriteFile(dir_ + "/rules.yml",
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n");
  std::tie(code, out) = RunService("evaluator", dir_ + "/prom-rules.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/rules.yml:5:15: group \"g\", rule 1, \"A\": could not parse"),
            std::string::npos)
      << out;

  WriteFile(dir_ + "/alertmanager.yml", "route:\n  receiver: nowhere\nreceivers: [{name: x}]\n");
  std::tie(code, out) = RunService("notifier", dir_ + "/alertmanager.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/alertmanager.yml:"), std::string::npos) << out;
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;

  WriteFile(dir_ + "/rollout.yml", "rollout:\n  name: x\n  bogus: 1\n");
  std::tie(code, out) = RunService("reporter", dir_ + "/rollout.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/rollout.yml:3:3:"), std::string::npos) << out;
}

TEST_F(BadInputTest, GarbageAndUnreachableTargetsAreUpZeroWithTheReasonInStatus) {
  httplib::Server garbage;
  garbage.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>not metrics</body></html>\n", "text/html");
  });
  int garbage_port = garbage.bind_to_any_port("127.0.0.1");
  std::thread server([&] { garbage.listen_after_bind(); });
  int dead_port = FreePort();
  WriteFile(dir_ + "/prometheus.yml",
            StrCat("global: {scrape_interval: 1s}\nscrape_configs:\n",
                   "  - job_name: garbage\n    static_configs: [{targets: ['127.0.0.1:", garbage_port,
                   "']}]\n",
                   "  - job_name: dead\n    static_configs: [{targets: ['127.0.0.1:", dead_port,
                   "']}]\n"));
  int grpc_port = FreePort();
  Process collector({BinDir() + "/vigil-collector", "--config.file=prometheus.yml",
                     StrCat("--web.listen-address=127.0.0.1:", FreePort()),
                     StrCat("--grpc.listen-address=127.0.0.1:", grpc_port),
                     StrCat("--bus.publish-address=tcp://127.0.0.1:", FreePort())},
                    dir_, dir_ + "/collector.log");
  std::string address = StrCat("127.0.0.1:", grpc_port);
  ASSERT_TRUE(WaitFor([&] { return Stat(address, "targets_down") == 2; })) << collector.Log();

  auto [code, out] = RunCommand({BinDir() + "/vigil", "status", "--grpc", address});
  EXPECT_EQ(code, 0) << out;  // the collector itself is healthy
  EXPECT_NE(out.find(StrCat("target http://127.0.0.1:", garbage_port,
                            "/metrics (job garbage) is down: parse error: line 1, column 1")),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(StrCat("target http://127.0.0.1:", dead_port, "/metrics (job dead) is down: Get")),
            std::string::npos)
      << out;
  EXPECT_TRUE(collector.Running());
  collector.Signal(SIGTERM);
  EXPECT_EQ(collector.Wait(), 0) << collector.Log();
  garbage.stop();
  server.join();
}

}  // namespace
}  // namespace vigil::testing
