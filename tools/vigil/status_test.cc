#include "tools/vigil/status.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "lib/service/runtime.h"
#include "tools/vigil/probe.h"
#include "tools/vigil/test_process.h"

namespace vigil::cli {
namespace {

using testing_util::RunVigil;

// A real service runtime on free ports, with a loop thread answering GetStatus.
class FakeService {
 public:
  FakeService() : rt_("collector", Flags()) {
    rt_.SetHooks({.reload = [] { return absl::OkStatus(); },
                  .status =
                      [](v1::ServiceStatus* s) {
                        (*s->mutable_stats())["targets_up"] = 2;
                        (*s->mutable_stats())["targets_down"] = 1;
                        s->add_problems(
                            "target http://127.0.0.1:9999/metrics is down: "
                            "connection refused");
                      }});
    started_ = rt_.Start();
    rt_.SetReady(true);
    loop_ = std::thread([this] {
      while (!rt_.stopping()) {
        pollfd p{rt_.tasks().fd(), POLLIN, 0};
        poll(&p, 1, 50);
        rt_.tasks().RunAll();
      }
    });
  }
  ~FakeService() {
    rt_.RequestStop();
    loop_.join();
    rt_.Shutdown();
  }
  const absl::Status& started() const { return started_; }
  std::string grpc() const { return rt_.grpc_address(); }
  std::string http() const { return rt_.http_address(); }

 private:
  static service::CommonFlags Flags() {
    service::CommonFlags f;
    f.config_file = "prometheus.yml";
    f.web_listen_address = "127.0.0.1:0";
    f.grpc_listen_address = "127.0.0.1:0";
    return f;
  }
  service::Runtime rt_;
  absl::Status started_;
  std::thread loop_;
};

// An address where nothing listens: a bound socket that never listens, so the port is ours
// and connections are refused.
class DeadAddress {
 public:
  DeadAddress() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }
  ~DeadAddress() { close(fd_); }
  const std::string& address() const { return address_; }

 private:
  int fd_;
  std::string address_;
};

std::string Tmp(const std::string& name) { return testing::TempDir() + "/status_test_" + name; }

TEST(ProbeTest, ServingServiceReportsItsStatus) {
  FakeService svc;
  ASSERT_TRUE(svc.started().ok()) << svc.started();
  ServiceReport r = Probe("collector", svc.grpc(), absl::Seconds(5));
  EXPECT_EQ(r.health, Health::kServing) << r.error;
  ASSERT_TRUE(r.has_status) << r.error;
  EXPECT_TRUE(r.status.ready());
  EXPECT_EQ(r.status.service(), "collector");
  EXPECT_EQ(r.status.stats().at("targets_up"), 2);
  ASSERT_EQ(r.status.problems_size(), 1);
}

TEST(ProbeTest, NothingListeningIsUnreachable) {
  DeadAddress dead;
  ServiceReport r = Probe("evaluator", dead.address(), absl::Seconds(2));
  EXPECT_EQ(r.health, Health::kUnreachable);
  EXPECT_FALSE(r.has_status);
  EXPECT_FALSE(r.error.empty());
}

TEST(ProbeTest, HealthNotServingIsReported) {
  // A bare gRPC server with only the health service, set to NOT_SERVING (as a service
  // shutting down is).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server && port > 0);
  server->GetHealthCheckService()->SetServingStatus(false);
  std::string address = "127.0.0.1:" + std::to_string(port);

  ServiceReport r = Probe("", address, absl::Seconds(5));
  EXPECT_EQ(r.health, Health::kNotServing) << r.error;
  EXPECT_FALSE(r.has_status);  // no vigil.v1.Control here
  EXPECT_NE(r.error.find("GetStatus"), std::string::npos) << r.error;

  auto [code, out] = RunVigil({"status", "--grpc", address}, Tmp("not_serving"));
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("NOT_SERVING"), std::string::npos) << out;
  server->Shutdown();
}

TEST(ProbeTest, DialAddress) {
  EXPECT_EQ(DialAddress(":9501"), "127.0.0.1:9501");
  EXPECT_EQ(DialAddress("0.0.0.0:9501"), "127.0.0.1:9501");
  EXPECT_EQ(DialAddress("10.0.0.1:9501"), "10.0.0.1:9501");
}

ServiceReport SampleReport() {
  ServiceReport r;
  r.name = "collector";
  r.address = "127.0.0.1:9501";
  r.health = Health::kServing;
  r.has_status = true;
  r.status.set_service("collector");
  r.status.set_version("0.1.0");
  r.status.set_ready(true);
  r.status.set_started_at_ms(1000);
  r.status.set_config_file("prometheus.yml");
  r.status.set_last_reload_ok(true);
  auto* e = r.status.add_endpoints();
  e->set_name("http");
  e->set_address("127.0.0.1:9401");
  (*r.status.mutable_stats())["targets_up"] = 3;
  (*r.status.mutable_stats())["samples_scraped"] = 1234.5;
  r.status.add_problems("target a is down: timeout");
  r.status.add_problems("target b is down: connection refused");
  return r;
}

TEST(FormatTest, TableShowsEveryField) {
  ServiceReport down;
  down.name = "evaluator";
  down.address = "127.0.0.1:9502";
  down.health = Health::kUnreachable;
  down.error = "failed to connect to all addresses";
  std::string text = FormatStatusTable({SampleReport(), down}, 1000 + 3723 * 1000);
  EXPECT_NE(text.find("SERVICE    ADDRESS         HEALTH       READY  VERSION   UPTIME\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("collector  127.0.0.1:9501  SERVING      yes    0.1.0     1h2m3s\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("evaluator  127.0.0.1:9502  UNREACHABLE  -      -         -\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  endpoints  http=127.0.0.1:9401\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  stats      samples_scraped=1234.5 targets_up=3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  problems   target a is down: timeout\n"
                      "             target b is down: connection refused\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  error      failed to connect to all addresses\n"), std::string::npos)
      << text;
}

TEST(FormatTest, JsonHasTheSameFields) {
  auto j = nlohmann::json::parse(FormatStatusJson({SampleReport()}, 61000));
  const auto& s = j.at("services").at(0);
  EXPECT_EQ(s.at("service"), "collector");
  EXPECT_EQ(s.at("health"), "SERVING");
  EXPECT_EQ(s.at("ready"), true);
  EXPECT_EQ(s.at("uptime_seconds"), 60);
  EXPECT_EQ(s.at("endpoints").at("http"), "127.0.0.1:9401");
  EXPECT_EQ(s.at("stats").at("targets_up"), 3);
  EXPECT_EQ(s.at("problems").size(), 2u);
}

TEST(StatusCommandTest, ServingExitsZero) {
  FakeService svc;
  ASSERT_TRUE(svc.started().ok()) << svc.started();
  auto [code, out] = RunVigil({"status", "--grpc", svc.grpc()}, Tmp("serving"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("collector"), std::string::npos) << out;
  EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  EXPECT_NE(out.find("targets_up=2"), std::string::npos) << out;
  EXPECT_NE(out.find("target http://127.0.0.1:9999/metrics is down: connection refused"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("http=" + svc.http()), std::string::npos) << out;
}

TEST(StatusCommandTest, UnreachableExitsOne) {
  FakeService svc;
  ASSERT_TRUE(svc.started().ok()) << svc.started();
  DeadAddress dead;
  auto [code, out] =
      RunVigil({"status", "--grpc", svc.grpc(), "--grpc", dead.address(), "--timeout", "2s"},
               Tmp("unreachable"));
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  EXPECT_NE(out.find(dead.address() + "  UNREACHABLE"), std::string::npos) << out;
}

TEST(StatusCommandTest, JsonOutputAndMeshFile) {
  FakeService svc;
  ASSERT_TRUE(svc.started().ok()) << svc.started();
  std::string mesh = Tmp("mesh.yml");
  {
    std::ofstream(mesh) << "processes:\n"
                           "  - name: exporter\n    binary: sh\n"
                           "  - name: my-collector\n    binary: vigil-collector\n"
                           "    args: [\"--grpc.listen-address="
                        << svc.grpc() << "\"]\n";
  }
  auto [code, out] = RunVigil({"status", "--config", mesh, "--output", "json"}, Tmp("json"));
  EXPECT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j.at("services").size(), 1u) << out;  // only the process with a gRPC address
  EXPECT_EQ(j["services"][0]["service"], "my-collector");
  EXPECT_EQ(j["services"][0]["health"], "SERVING");
}

TEST(StatusCommandTest, BadMeshFileExitsOneWithPosition) {
  std::string mesh = Tmp("bad.yml");
  { std::ofstream(mesh) << "processes:\n  - name: a\n    binary: x\n    bogus: 1\n"; }
  auto [code, out] = RunVigil({"status", "--config", mesh}, Tmp("bad"));
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("error: " + mesh + ":4:5: field bogus not found in process"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace vigil::cli
