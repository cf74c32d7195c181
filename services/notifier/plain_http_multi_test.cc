// PlainHttpMulti's own behaviour: many requests in flight on one thread, each on its own
// connection, kept for the next round; a hanging request timing out alone; Wake; idle
// connections the server closes. (Framing, errors and the replay rule are PlainPost's and
// run through both clients in plain_http_test.cc.)

#include "services/notifier/plain_http_multi.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/format.h"
#include "services/notifier/loopback_test_support.h"

namespace vigil::notifier {
namespace {

constexpr char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// A server with a thread per connection. Each request is answered with kOk once
// `gate` requests have arrived in all (so a client that sends them one at a time waits
// forever); a request to /hang is never answered. With close_after, the server closes
// each connection after its answer, without saying so.
class GateServer {
 public:
  explicit GateServer(int gate, bool close_after = false)
      : gate_(gate), close_after_(close_after), listener_(64) {
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~GateServer() {
    listener_.Shutdown();
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    for (std::thread& t : handlers_) t.join();
    for (int fd : fds_) close(fd);
  }
  PlainHttpTarget Target(const std::string& path = "/hook") const {
    return *ParsePlainHttpUrl(StrCat("http://127.0.0.1:", listener_.port(), path));
  }
  int connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(fds_.size());
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrived_;
  }
  // With close_after: blocks until the server has closed `n` connections.
  void AwaitClosed(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ >= n; });
  }

 private:
  void Accept() {
    while (true) {
      const int fd = listener_.Accept();
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      handlers_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  void Serve(int fd) {
    std::string buf;
    std::string request;
    while (ReadHttpRequest(fd, &buf, &request)) {
      const bool hang = request.rfind("POST /hang ", 0) == 0;
      std::unique_lock<std::mutex> lock(mu_);
      ++arrived_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return stopping_ || (!hang && arrived_ >= gate_); });
      if (stopping_) return;
      lock.unlock();
      EXPECT_EQ(write(fd, kOk, sizeof(kOk) - 1), static_cast<ssize_t>(sizeof(kOk) - 1));
      if (close_after_) {
        shutdown(fd, SHUT_RDWR);
        lock.lock();
        ++closed_;
        cv_.notify_all();
        return;
      }
    }
  }

  const int gate_;
  const bool close_after_;
  LoopbackListener listener_;
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> fds_;
  std::vector<std::thread> handlers_;
  int arrived_ = 0;
  int closed_ = 0;
  bool stopping_ = false;
};

std::unique_ptr<PlainHttpMulti> NewMulti() {
  auto made = PlainHttpMulti::Create();
  EXPECT_TRUE(made.ok()) << made.status();
  return std::move(*made);
}

// Polls until `n` requests have finished.
std::vector<PlainHttpMulti::Finished> AwaitFinished(PlainHttpMulti& multi, size_t n) {
  std::vector<PlainHttpMulti::Finished> finished;
  while (finished.size() < n) multi.Poll(absl::InfiniteFuture(), &finished);
  return finished;
}

const std::vector<std::string> kHeaders = {"Content-Type: application/json",
                                           "Idempotency-Key: g/1"};

TEST(PlainHttpMultiTest, ManyRequestsInFlightOnOneThreadEachOnItsOwnKeptConnection) {
  constexpr int kRequests = 8;
  // No answer comes before all eight requests have arrived: only requests in flight at
  // once, from this one thread, get any.
  GateServer server(kRequests);
  auto multi = NewMulti();
  for (uint64_t round = 0; round < 2; ++round) {
    for (uint64_t i = 0; i < kRequests; ++i) {
      multi->Start(round * 100 + i, server.Target(), kHeaders, R"({"n":1})", absl::Seconds(30));
    }
    EXPECT_EQ(multi->running(), static_cast<size_t>(kRequests));
    std::vector<PlainHttpMulti::Finished> finished = AwaitFinished(*multi, kRequests);
    std::vector<uint64_t> tags;
    for (const PlainHttpMulti::Finished& f : finished) {
      ASSERT_TRUE(f.response.ok()) << f.response.status();
      EXPECT_EQ(f.response->status, 200);
      EXPECT_EQ(f.response->body, "ok");
      tags.push_back(f.tag - round * 100);
    }
    std::sort(tags.begin(), tags.end());
    EXPECT_EQ(tags, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(multi->running(), 0u);
    EXPECT_EQ(multi->idle_connections(), static_cast<size_t>(kRequests));
    // The second round goes over the same eight connections.
    EXPECT_EQ(server.connections(), kRequests);
  }
}

TEST(PlainHttpMultiTest, AHangingRequestTimesOutAloneAndLosesItsConnection) {
  GateServer server(1);
  auto multi = NewMulti();
  multi->Start(1, server.Target("/hang"), kHeaders, "{}", absl::Seconds(1));
  for (uint64_t tag : {2, 3, 4}) {
    multi->Start(tag, server.Target(), kHeaders, "{}", absl::Seconds(30));
  }
  std::vector<PlainHttpMulti::Finished> finished = AwaitFinished(*multi, 4);
  ASSERT_EQ(finished.size(), 4u);
  EXPECT_EQ(finished.back().tag, 1u);  // the others did not wait for it
  EXPECT_TRUE(absl::IsDeadlineExceeded(finished.back().response.status()))
      << finished.back().response.status();
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(finished[i].response.ok());
  EXPECT_EQ(multi->idle_connections(), 3u);
}

TEST(PlainHttpMultiTest, WakeEndsAWaitFromAnotherThread) {
  auto multi = NewMulti();
  std::thread waker([&] { multi->Wake(); });
  std::vector<PlainHttpMulti::Finished> finished;
  multi->Poll(absl::InfiniteFuture(), &finished);  // returns: a wake-up is never lost
  waker.join();
  EXPECT_TRUE(finished.empty());
}

TEST(PlainHttpMultiTest, AnIdleConnectionTheServerClosesIsDropped) {
  GateServer server(1, /*close_after=*/true);
  auto multi = NewMulti();
  multi->Start(1, server.Target(), kHeaders, "{}", absl::Seconds(30));
  std::vector<PlainHttpMulti::Finished> finished = AwaitFinished(*multi, 1);
  ASSERT_TRUE(finished[0].response.ok()) << finished[0].response.status();
  // Kept, until the server's close is polled (or found when the next request takes it).
  while (multi->idle_connections() > 0) multi->Poll(absl::InfiniteFuture(), &finished);
  multi->Start(2, server.Target(), kHeaders, "{}", absl::Seconds(30));
  finished = AwaitFinished(*multi, 1);
  ASSERT_TRUE(finished[0].response.ok()) << finished[0].response.status();
  EXPECT_EQ(server.connections(), 2);
}

// The server has closed the kept connection, and the client has not polled that yet. A
// request with an idempotency key goes out on it without looking (no system call), fails
// unanswered and is replayed on a new connection; one without is not sent on it at all
// (the look finds the close). Either way it is answered, and the server sees it once.
TEST(PlainHttpMultiTest, AKeptConnectionClosedUnnoticedCostsNoRequest) {
  const std::vector<std::string> unkeyed = {"Content-Type: application/json"};
  for (const std::vector<std::string>* headers : {&kHeaders, &unkeyed}) {
    GateServer server(1, /*close_after=*/true);
    auto multi = NewMulti();
    multi->Start(1, server.Target(), *headers, "{}", absl::Seconds(30));
    std::vector<PlainHttpMulti::Finished> finished = AwaitFinished(*multi, 1);
    ASSERT_TRUE(finished[0].response.ok()) << finished[0].response.status();
    server.AwaitClosed(1);
    ASSERT_EQ(multi->idle_connections(), 1u);  // not polled since
    multi->Start(2, server.Target(), *headers, "{}", absl::Seconds(30));
    finished = AwaitFinished(*multi, 1);
    ASSERT_TRUE(finished[0].response.ok()) << finished[0].response.status();
    EXPECT_EQ(server.connections(), 2);
    EXPECT_EQ(server.requests(), 2);
  }
}

// The server's accept queue is full when the request starts, so its connect is still
// under way (the kernel drops the handshake until the client sends it again, ≈ 1 s later):
// the request waits for the connection and goes then, answered once.
TEST(PlainHttpMultiTest, ARequestWaitsForAConnectionStillBeingMade) {
  LoopbackListener listener(/*backlog=*/0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(listener.port());
  std::vector<int> fillers;  // connections nobody takes yet: they fill the queue
  for (int i = 0; i < 3; ++i) {
    fillers.push_back(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    connect(fillers.back(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  auto multi = NewMulti();
  const PlainHttpTarget target =
      *ParsePlainHttpUrl(StrCat("http://127.0.0.1:", listener.port(), "/hook"));
  multi->Start(1, target, kHeaders, "{}", absl::Seconds(30));
  for (int fd : fillers) close(fd);
  int requests = 0;
  std::thread server([&] {
    for (int fd; (fd = listener.Accept()) >= 0; close(fd)) {
      std::string buf;
      std::string request;
      if (!ReadHttpRequest(fd, &buf, &request)) continue;  // a filler
      ++requests;
      EXPECT_EQ(write(fd, kOk, sizeof(kOk) - 1), static_cast<ssize_t>(sizeof(kOk) - 1));
    }
  });
  std::vector<PlainHttpMulti::Finished> finished = AwaitFinished(*multi, 1);
  listener.Shutdown();
  server.join();
  ASSERT_TRUE(finished[0].response.ok()) << finished[0].response.status();
  EXPECT_EQ(finished[0].response->body, "ok");
  EXPECT_EQ(requests, 1);
}

TEST(PlainHttpMultiTest, RequestsThatCannotStartFinishInTheNextPoll) {
  auto multi = NewMulti();
  PlainHttpTarget nowhere = *ParsePlainHttpUrl("http://127.0.0.1:1/hook");
  multi->Start(7, nowhere, {"X-Bad: a\r\nInjected: 1"}, "{}", absl::Seconds(5));
  std::vector<PlainHttpMulti::Finished> finished;
  multi->Poll(absl::InfiniteFuture(), &finished);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].tag, 7u);
  EXPECT_TRUE(absl::IsInvalidArgument(finished[0].response.status()));
  multi->Start(8, nowhere, kHeaders, "{}", absl::Seconds(5));
  finished = AwaitFinished(*multi, 1);
  EXPECT_NE(finished[0].response.status().message().find("connection refused"),
            std::string::npos)
      << finished[0].response.status();
}

}  // namespace
}  // namespace vigil::notifier
