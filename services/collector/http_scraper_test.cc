#include "services/collector/http_scraper.h"

#include <httplib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace vigil::collector {
namespace {

class HttpScraperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/metrics", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("up_test 1\n", "text/plain; version=0.0.4");
      res.set_header("X-Seen-Timeout", req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds"));
    });
    server_.Get("/down", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::vector<HttpScraper::Completed> RunUntilDone(HttpScraper& s, size_t n) {
    std::vector<HttpScraper::Completed> out;
    int fd = eventfd(0, EFD_NONBLOCK);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      for (auto& c : s.Collect()) out.push_back(std::move(c));
      if (out.size() < n) s.Wait(100, fd);
    }
    close(fd);
    return out;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpScraperTest, FetchesBodiesAndReportsErrorsLikePrometheus) {
  HttpScraper s;
  std::string base = "http://127.0.0.1:" + std::to_string(port_);
  s.Start({"ok", base + "/metrics", absl::Seconds(2)}, 100);
  s.Start({"down", base + "/down", absl::Seconds(2)}, 100);
  s.Start({"refused", "http://127.0.0.1:1/metrics", absl::Seconds(2)}, 100);
  auto done = RunUntilDone(s, 3);
  ASSERT_EQ(done.size(), 3u);
  for (const auto& c : done) {
    EXPECT_EQ(c.started, 100);
    if (c.target_key == "ok") {
      EXPECT_EQ(c.result.error, "");
      EXPECT_EQ(c.result.body, "up_test 1\n");
    } else if (c.target_key == "down") {
      EXPECT_EQ(c.result.error, "server returned HTTP status 503 Service Unavailable");
    } else {
      EXPECT_EQ(c.result.error.rfind("Get \"http://127.0.0.1:1/metrics\": ", 0), 0u)
          << c.result.error;
    }
  }
  EXPECT_EQ(s.in_flight(), 0u);
}

}  // namespace
}  // namespace vigil::collector
