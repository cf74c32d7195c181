// PlainPost against a scripted server on a real loopback socket: each accepted connection
// reads requests and answers each with the next scripted answer, byte for byte, so the
// tests control framing (Content-Length, chunked, to EOF), 1xx answers, keep-alive and
// closed connections.

#include "services/notifier/plain_http.h"
#include "services/notifier/plain_http_multi.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/format.h"
#include "services/notifier/loopback_test_support.h"

namespace vigil::notifier {
namespace {

struct Answer {
  std::string bytes;           // sent as is
  bool close_after = false;    // close the connection after sending
  bool never_answer = false;   // read the request, answer nothing, keep the connection
  bool drop = false;           // read the request, close the connection without an answer
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Answer> script)
      : listener_(16), script_(script.begin(), script.end()) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    listener_.Shutdown();
    {
      // The client keeps its connection: end the server's wait for a next request on it.
      std::lock_guard<std::mutex> lock(mu_);
      if (serving_ >= 0) shutdown(serving_, SHUT_RDWR);
    }
    thread_.join();
    for (int fd : open_) close(fd);
  }
  int port() const { return listener_.port(); }
  std::string Url(const std::string& path = "/hook") const {
    return StrCat("http://127.0.0.1:", listener_.port(), path);
  }
  // What each request looked like, and on which connection (1, 2, ...) it came.
  std::vector<std::pair<int, std::string>> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Waits until the server has closed `n` connections (the client may have its answer
  // before the server's close: its FIN has then not reached the client yet).
  void WaitClosed(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    closed_cv_.wait(lock, [&] { return closed_ >= n; });
  }

 private:
  void Serve() {
    int connection = 0;
    while (true) {
      const int fd = listener_.Accept();
      if (fd < 0) return;
      ++connection;
      {
        std::lock_guard<std::mutex> lock(mu_);
        serving_ = fd;
      }
      bool keep = true;
      std::string buf;
      while (keep) {
        std::string request;
        if (!ReadHttpRequest(fd, &buf, &request)) break;
        Answer answer;
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.emplace_back(connection, request);
          if (script_.empty()) break;
          answer = script_.front();
          script_.pop_front();
        }
        if (answer.drop) break;
        if (answer.never_answer) {
          open_.push_back(fd);
          keep = false;
          continue;
        }
        EXPECT_EQ(write(fd, answer.bytes.data(), answer.bytes.size()),
                  static_cast<ssize_t>(answer.bytes.size()));
        if (answer.close_after) keep = false;
      }
      std::lock_guard<std::mutex> lock(mu_);
      serving_ = -1;
      if (open_.empty() || open_.back() != fd) {
        close(fd);
        ++closed_;
        closed_cv_.notify_all();
      }
    }
  }
  LoopbackListener listener_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<std::pair<int, std::string>> requests_;
  std::vector<int> open_;
  int serving_ = -1;  // the connection being served
  int closed_ = 0;    // connections the server closed
  std::condition_variable closed_cv_;
};

// Every PlainHttpTest runs twice: through PlainPost (blocking, the thread's connection)
// and through a PlainHttpMulti one request at a time (its idle connections kept between
// the test's requests as the thread's is), which must behave the same.
PlainHttpMulti* multi = nullptr;  // the current test's, in the multi run

class PlainHttpTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto made = PlainHttpMulti::Create();
      ASSERT_TRUE(made.ok()) << made.status();
      owned_ = std::move(*made);
      multi = owned_.get();
    }
  }
  void TearDown() override { multi = nullptr; }

 private:
  std::unique_ptr<PlainHttpMulti> owned_;
};

INSTANTIATE_TEST_SUITE_P(Clients, PlainHttpTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "PlainHttpMulti" : "PlainPost";
                         });

absl::StatusOr<PlainHttpResponse> MultiPost(const PlainHttpTarget& t,
                                            const std::vector<std::string>& headers,
                                            std::string_view body, absl::Duration timeout) {
  static uint64_t tag = 0;
  multi->Start(++tag, t, headers, body, timeout);
  std::vector<PlainHttpMulti::Finished> finished;
  while (finished.empty()) multi->Poll(absl::InfiniteFuture(), &finished);
  EXPECT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].tag, tag);
  EXPECT_EQ(multi->running(), 0u);
  return finished[0].response;
}

absl::StatusOr<PlainHttpResponse> Post(const std::string& url, std::string_view body = "{}",
                                       absl::Duration timeout = absl::Seconds(10),
                                       std::vector<std::string> headers = {
                                           "Content-Type: application/json"}) {
  std::optional<PlainHttpTarget> t = ParsePlainHttpUrl(url);
  EXPECT_TRUE(t.has_value()) << url;
  if (multi != nullptr) return MultiPost(*t, headers, body, timeout);
  return PlainPost(*t, headers, body, timeout);
}

const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST(PlainHttpUrlTest, PlainHttpUrlsOnly) {
  auto t = ParsePlainHttpUrl("http://127.0.0.1:9093/api/hook?x=1#frag");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 9093);
  EXPECT_EQ(t->host_header, "127.0.0.1:9093");
  EXPECT_EQ(t->request_target, "/api/hook?x=1");

  t = ParsePlainHttpUrl("HTTP://receiver.svc");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "receiver.svc");
  EXPECT_EQ(t->port, 80);
  EXPECT_EQ(t->request_target, "/");

  t = ParsePlainHttpUrl("http://[::1]:8080?q");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->host_header, "[::1]:8080");
  EXPECT_EQ(t->request_target, "/?q");

  // libcurl's: TLS, credentials in the URL, what it would reject or interpret.
  EXPECT_FALSE(ParsePlainHttpUrl("https://127.0.0.1/hook").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http://user:pw@127.0.0.1/hook").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http://127.0.0.1:99999/").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http://127.0.0.1:x/").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http:///hook").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http://host/a b").has_value());
  EXPECT_FALSE(ParsePlainHttpUrl("http://[::1/").has_value());
}

TEST_P(PlainHttpTest, SendsTheRequestAndKeepsTheConnection) {
  ScriptedServer server({{kOk}, {"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail"}});
  auto first = Post(server.Url("/hook?a=1"), R"({"x":1})");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "ok");
  auto second = Post(server.Url());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 500);
  EXPECT_EQ(second->body, "fail");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].first, 1);
  EXPECT_EQ(requests[1].first, 1);  // the same connection
  EXPECT_EQ(requests[0].second,
            StrCat("POST /hook?a=1 HTTP/1.1\r\nHost: 127.0.0.1:", server.port(),
                   "\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"x\":1}"));
}

TEST_P(PlainHttpTest, ChunkedAnswersAndInterimAnswers) {
  ScriptedServer server({{"HTTP/1.1 100 Continue\r\n\r\n"
                          "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"},
                         {kOk}});
  auto r = Post(server.Url());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "abcde");
  // The chunked answer was read to its end: the connection carries the next request.
  ASSERT_TRUE(Post(server.Url()).ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].first, 1);
}

TEST_P(PlainHttpTest, ConnectionCloseAndAnswersReadToEof) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
                         {"HTTP/1.0 404 Not Found\r\n\r\nno such hook", true},
                         {kOk}});
  ASSERT_TRUE(Post(server.Url()).ok());
  auto r = Post(server.Url());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "no such hook");
  ASSERT_TRUE(Post(server.Url()).ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].first, 1);
  EXPECT_EQ(requests[1].first, 2);  // the server said close: a new connection
  EXPECT_EQ(requests[2].first, 3);  // read to EOF: nothing left to reuse
}

TEST_P(PlainHttpTest, AKeptConnectionTheServerClosedIsReplacedOnce) {
  // The server closes after its first answer without saying so: the client only learns
  // when it reuses the connection, and sends the request again on a new one.
  ScriptedServer server({{kOk, true}, {kOk}});
  ASSERT_TRUE(Post(server.Url()).ok());
  server.WaitClosed(1);
  auto r = Post(server.Url(), R"({"second":true})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].first, 2);
  EXPECT_NE(requests[1].second.find(R"({"second":true})"), std::string::npos);
}

TEST_P(PlainHttpTest, ARequestAKeptConnectionLostUnansweredIsSentOnceMoreWithAnIdempotencyKey) {
  // The connection looked open when reused, but the server closed it on reading the
  // request, without an answer: the server may have acted on it, so (as Go's client) it is
  // sent once more on a new connection only when it carries an idempotency key.
  const std::vector<std::string> keyed = {"Content-Type: application/json",
                                          "Idempotency-Key: g/2"};
  ScriptedServer server({{kOk}, {"", false, false, true}, {kOk}});
  ASSERT_TRUE(Post(server.Url()).ok());
  auto r = Post(server.Url(), R"({"second":true})", absl::Seconds(10), keyed);
  ASSERT_TRUE(r.ok()) << r.status();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].first, 1);
  EXPECT_EQ(requests[2].first, 2);
  EXPECT_EQ(requests[1].second, requests[2].second);

  ScriptedServer unkeyed({{kOk}, {"", false, false, true}, {kOk}});
  ASSERT_TRUE(Post(unkeyed.Url()).ok());
  EXPECT_FALSE(Post(unkeyed.Url(), R"({"second":true})").ok());
  EXPECT_EQ(unkeyed.requests().size(), 2u);  // not sent again
}

TEST_P(PlainHttpTest, ANewConnectionLostUnansweredIsAnError) {
  ScriptedServer server({{"", false, false, true}, {kOk}});
  auto r = Post(server.Url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.requests().size(), 1u);  // not sent again
}

// The head came in time, the body did not: the status stands (as Alertmanager decides on
// it alone), the connection is not kept.
TEST_P(PlainHttpTest, ATimeoutWithinTheBodyLeavesTheStatus) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"}, {kOk}});
  auto r = Post(server.Url(), "{}", absl::Milliseconds(300));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "short");
  ASSERT_TRUE(Post(server.Url()).ok());
  EXPECT_EQ(server.requests().back().first, 2);
}

TEST_P(PlainHttpTest, ErrorsAreValues) {
  {
    ScriptedServer server({{"garbage\r\n\r\n"}});
    auto r = Post(server.Url());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("malformed HTTP response"), std::string::npos);
  }
  {
    // The answer's body ends early: its status stands (Alertmanager decides on the status
    // alone), the connection is not kept.
    ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true}, {kOk}});
    auto r = Post(server.Url());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "short");
    ASSERT_TRUE(Post(server.Url()).ok());
    EXPECT_EQ(server.requests().back().first, 2);
  }
  {
    ScriptedServer server({{"HTTP/1.1 200OK\r\n\r\n"}});
    EXPECT_FALSE(Post(server.Url()).ok());  // no space after the code
  }
  {
    ScriptedServer server({{"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"}});
    EXPECT_FALSE(Post(server.Url()).ok());
  }
  {
    // Chunk data not followed by CRLF: a malformed body, the status still stands.
    ScriptedServer server(
        {{"HTTP/1.1 503 No\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n"}, {kOk}});
    auto r = Post(server.Url());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 503);
    ASSERT_TRUE(Post(server.Url()).ok());
    EXPECT_EQ(server.requests().back().first, 2);  // not kept
  }
  {
    ScriptedServer server({{kOk}});
    auto r = Post(server.Url(), "{}", absl::Seconds(10),
                  {"Authorization: Bearer a\r\nX-Injected: 1"});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(server.requests().empty());  // nothing sent
  }
  {
    ScriptedServer server({{"", false, true}});
    auto r = Post(server.Url(), "{}", absl::Milliseconds(200));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(absl::IsDeadlineExceeded(r.status())) << r.status();
  }
  {
    // Nothing listens there any more.
    int port;
    {
      ScriptedServer gone({});
      port = gone.port();
    }
    auto r = Post(StrCat("http://127.0.0.1:", port, "/hook"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("connection refused"), std::string::npos)
        << r.status();
  }
}

// The parser fed one byte more at a time gives, for every framing and every way an
// answer ends, what it gives for all the bytes at once, and nothing before it is whole.
TEST(PlainHttpParserTest, ByteByByteAsWhole) {
  struct Case {
    std::string bytes;
    absl::Status end;  // after the bytes
  };
  const absl::Status eof = absl::OutOfRangeError("EOF");
  const absl::Status timeout = absl::DeadlineExceededError("read: timeout");
  const std::vector<Case> cases = {
      {kOk, absl::OkStatus()},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n"
       "\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
       absl::OkStatus()},
      {"HTTP/1.1 204 No Content\r\n\r\n", absl::OkStatus()},
      {"HTTP/1.0 404 Not Found\r\n\r\nno such hook", eof},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", eof},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", timeout},
      {"HTTP/1.1 503 No\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", eof},
      {"HTTP/1.1 307 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", absl::OkStatus()},
      {"HTTP/1.1 200 OK\r\nContent-Le", eof},
      {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", absl::OkStatus()},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", absl::OkStatus()},
      {StrCat("HTTP/1.1 200 OK\r\nX: ", std::string(70000, 'a'), "\r\n\r\n"), eof},
      {StrCat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", std::string(70000, '0'),
              "1\r\nx\r\n0\r\n\r\n"),
       eof},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    std::optional<ParsedHttpResponse> whole = PlainHttpResponseParser().Parse(c.bytes, c.end);
    ASSERT_TRUE(whole.has_value());
    PlainHttpResponseParser parser;
    std::optional<ParsedHttpResponse> fed;
    for (size_t n = 1; n <= c.bytes.size() && !fed; ++n) {
      fed = parser.Parse(std::string_view(c.bytes).substr(0, n), absl::OkStatus());
    }
    if (!fed) fed = parser.Parse(c.bytes, c.end);
    ASSERT_TRUE(fed.has_value());
    ASSERT_EQ(fed->response.ok(), whole->response.ok()) << fed->response.status();
    if (!whole->response.ok()) {
      EXPECT_EQ(fed->response.status(), whole->response.status());
      continue;
    }
    EXPECT_EQ(fed->response->status, whole->response->status);
    EXPECT_EQ(fed->response->body, whole->response->body);
    EXPECT_EQ(fed->response->location, whole->response->location);
    // Fed a byte at a time, an answer followed by extra bytes ends before them (so the
    // connection looks clean), where all at once it sees them: only there may they differ.
    if (c.bytes.find("EXTRA") == std::string::npos) {
      EXPECT_EQ(fed->reusable, whole->reusable);
    } else {
      EXPECT_FALSE(whole->reusable);
    }
  }
}

}  // namespace
}  // namespace vigil::notifier
