#include "services/collector/http_scraper.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace vigil::collector {
namespace {

class HttpScraperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/metrics", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("up_test 1\n", "text/plain; version=0.0.4");
      res.set_header("X-Seen-Timeout", req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds"));
    });
    server_.Get("/om", [](const httplib::Request& req, httplib::Response& res) {
      // Answers in OpenMetrics only to a client that asks for it, as client libraries do.
      if (req.get_header_value("Accept").find("application/openmetrics-text") == 0) {
        res.set_content("om_test 1 1.5\n# EOF\n",
                        "application/openmetrics-text; version=1.0.0; charset=utf-8");
      } else {
        res.set_content("om_test 1\n", "text/plain; version=0.0.4; charset=utf-8");
      }
      res.set_header("X-Seen-Accept", req.get_header_value("Accept"));
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

TEST_F(HttpScraperTest, NegotiatesOpenMetricsWithPrometheusHeaders) {
  EXPECT_STREQ(kScrapeAcceptHeader,
               "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  HttpScraper s;
  std::string base = "http://127.0.0.1:" + std::to_string(port_);
  s.Start({"om", base + "/om", absl::Milliseconds(2500)}, 100);
  s.Start({"text", base + "/metrics", absl::Seconds(2)}, 100);
  auto done = RunUntilDone(s, 2);
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) {
    ASSERT_EQ(c.result.error, "") << c.target_key;
    if (c.target_key == "om") {
      EXPECT_EQ(c.result.body, "om_test 1 1.5\n# EOF\n");
      EXPECT_EQ(c.result.content_type,
                "application/openmetrics-text; version=1.0.0; charset=utf-8");
    } else {
      EXPECT_EQ(c.result.content_type, "text/plain; version=0.0.4");
    }
  }
}

// The headers the target saw, checked through a plain HTTP client against the same handler.
TEST_F(HttpScraperTest, SendsAcceptAndScrapeTimeoutHeaders) {
  server_.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("Accept") + "|" +
                        req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds"),
                    "text/plain");
  });
  HttpScraper s;
  s.Start({"echo", "http://127.0.0.1:" + std::to_string(port_) + "/echo", absl::Milliseconds(2500)},
          100);
  auto done = RunUntilDone(s, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].result.body, std::string(kScrapeAcceptHeader) + "|2.5");
}

}  // namespace
}  // namespace vigil::collector

namespace vigil::collector {
namespace {

TEST_F(HttpScraperTest, BodySizeLimitFailsTheScrapeAsInPrometheus) {
  HttpScraper s;
  std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/metrics";  // 10 bytes
  s.Start(ScrapeRequest{"a", url, absl::Seconds(5), 10}, 1);   // exactly the limit: fails
  s.Start(ScrapeRequest{"b", url, absl::Seconds(5), 11}, 1);   // under it
  auto done = RunUntilDone(s, 2);
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) {
    if (c.target_key == "a") {
      EXPECT_EQ(c.result.error, "body size limit exceeded");
    } else {
      EXPECT_EQ(c.result.error, "");
      EXPECT_EQ(c.result.body, "up_test 1\n");
    }
  }
}

}  // namespace
}  // namespace vigil::collector

namespace vigil::collector {
namespace {

TEST_F(HttpScraperTest, SendsBasicAuthAndAuthorization) {
  server_.Get("/auth", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("Authorization"), "text/plain");
  });
  char tmpl[] = "/tmp/vigil-cred-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, " s3cret\n", 8), 8);
  close(fd);
  std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/auth";
  auto basic = std::make_shared<promconfig::HttpClientConfig>();
  basic->basic_auth = true;
  basic->username = "user";
  basic->password = "pass";
  auto bearer = std::make_shared<promconfig::HttpClientConfig>();
  bearer->authorization = true;
  bearer->credentials_file = tmpl;
  auto missing = std::make_shared<promconfig::HttpClientConfig>();
  missing->authorization = true;
  missing->credentials_file = "/nonexistent/token";
  HttpScraper s;
  s.Start(ScrapeRequest{"basic", url, absl::Seconds(5), 0, basic}, 1);
  s.Start(ScrapeRequest{"bearer", url, absl::Seconds(5), 0, bearer}, 1);
  s.Start(ScrapeRequest{"missing", url, absl::Seconds(5), 0, missing}, 1);
  auto done = RunUntilDone(s, 3);
  unlink(tmpl);
  ASSERT_EQ(done.size(), 3u);
  for (const auto& c : done) {
    if (c.target_key == "basic") EXPECT_EQ(c.result.body, "Basic dXNlcjpwYXNz");
    if (c.target_key == "bearer") EXPECT_EQ(c.result.body, "Bearer s3cret");
    if (c.target_key == "missing") {
      EXPECT_EQ(c.result.error, "Get \"" + url +
                                    "\": unable to read authorization credentials file "
                                    "/nonexistent/token");
    }
  }
}

}  // namespace
}  // namespace vigil::collector
