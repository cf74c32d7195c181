#include "tools/demo-exporter/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "lib/expfmt/text_parser.h"

namespace vigil::demo {
namespace {

// The exporter behind a real HTTP server on a free port, in virtual time.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exporter_.Register(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // listen_after_bind may not have started yet; wait (bounded) until it serves.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(std::chrono::seconds(5));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  ManualClock clock_{FromMs(1'700'000'000'000)};
  DemoExporter exporter_{9, clock_};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, ServesMetricsDependenciesAndSwitchesScenarios) {
  clock_.Advance(absl::Minutes(1));
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto samples = expfmt::ParseAll(res->body);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_GT(samples->size(), 40u);

  res = client_->Get("/api/scenario");
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body)["scenario"], "healthy");

  for (const char* dep : {"memory_store", "vector_db", "graph_db"}) {
    res = client_->Get(std::string("/deps/") + dep + "/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << dep;
    EXPECT_TRUE(expfmt::ParseAll(res->body).ok());
  }
  res = client_->Get("/deps/kafka/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  res = client_->Post("/api/scenario?name=service_down&service=graph_db", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["scenario"], "service_down");
  EXPECT_EQ(body["service"], "graph_db");
  clock_.Advance(absl::Seconds(15));
  EXPECT_EQ(client_->Get("/deps/graph_db/metrics")->status, 503);
  EXPECT_EQ(client_->Get("/deps/memory_store/metrics")->status, 200);
  res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("demo_scenario_info{scenario=\"service_down\"} 1"), std::string::npos);

  res = client_->Post("/api/scenario?name=meteor", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(nlohmann::json::parse(res->body)["error"].get<std::string>().find("meteor"),
            std::string::npos);
  EXPECT_EQ(client_->Post("/api/scenario", "", "text/plain")->status, 400);
  EXPECT_EQ(nlohmann::json::parse(client_->Get("/api/scenario")->body)["scenario"], "service_down");

  res = client_->Post("/api/scenario?name=healthy", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(client_->Get("/deps/graph_db/metrics")->status, 200);
}

}  // namespace
}  // namespace vigil::demo
