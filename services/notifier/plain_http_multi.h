#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notifier/plain_http.h"

namespace vigil::notifier {

// Many plain-HTTP POSTs in flight on one thread, driven by readiness (epoll): what
// libcurl's multi interface does, for the requests PlainPost sends (plain_http.h says why
// vigil has its own client for them). A delivery lane runs one: its thread starts
// requests and polls, and one wake-up serves every answer that has come, where a
// blocking worker per request paid a context switch for each.
//
// Each request runs on its own connection: an idle one kept from an earlier request to the
// same server when there is one (checked open first), a new one otherwise (non-blocking
// connect, each resolved address in turn). The bytes on the wire, the framing of the
// answer, what is kept and the replay rule are PlainPost's. A host name is resolved in
// Start, blocking (getaddrinfo).
//
// Not thread-safe, except Wake: one thread calls the rest.
class PlainHttpMulti {
 public:
  struct Finished {
    uint64_t tag = 0;
    absl::StatusOr<PlainHttpResponse> response;
  };

  // An epoll instance and an eventfd for Wake; an error when the kernel refuses them.
  static absl::StatusOr<std::unique_ptr<PlainHttpMulti>> Create();
  // Closes every connection; requests still running are dropped unanswered.
  ~PlainHttpMulti();
  PlainHttpMulti(const PlainHttpMulti&) = delete;
  PlainHttpMulti& operator=(const PlainHttpMulti&) = delete;

  // Starts POSTing `body` with the "Name: value" `headers` to `target`, to be done within
  // `timeout`. `tag` names it in Finished. A request that fails at once (a header with a
  // line break, a failed lookup, a refused connect) is finished by the next Poll.
  void Start(uint64_t tag, const PlainHttpTarget& target, const std::vector<std::string>& headers,
             std::string_view body, absl::Duration timeout);

  // Waits until a connection is ready, a request's deadline passes, Wake is called or
  // `until` comes, whichever is first (not at all when requests have finished already),
  // moves the requests on, and appends those that finished to *finished.
  void Poll(absl::Time until, std::vector<Finished>* finished);

  // Ends the wait of the current or the next Poll. Any thread.
  void Wake();

  size_t running() const { return transfers_.size(); }
  size_t idle_connections() const { return idle_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Transfer;
  struct Connection {
    int fd = -1;  // -1 once closed (its events of the current Poll are then ignored)
    std::string server;
    Transfer* transfer = nullptr;  // null while idle
    bool writing = false;  // polled for EPOLLOUT (connecting, or a full send buffer)
  };
  struct Transfer {
    uint64_t tag = 0;
    PlainHttpTarget target;
    std::string server;   // host and port: the idle connections it may take
    std::string request;  // head and body
    bool keyed = false;   // carries an idempotency key (HasIdempotencyKey)
    Clock::time_point deadline;
    Connection* connection = nullptr;
    enum class Phase { kConnecting, kWriting, kReading } phase = Phase::kConnecting;
    std::vector<SocketAddress> addresses;
    size_t next_address = 0;
    absl::Status connect_error;
    size_t written = 0;
    std::string received;
    PlainHttpResponseParser parser;
    bool reused = false;    // on a kept connection
    bool answered = false;  // some byte of an answer came
    bool replayed = false;  // sent once more already
  };

  PlainHttpMulti(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

  // Puts the transfer on an idle connection to its server, or on a new one.
  void Begin(Transfer* t, bool may_reuse);
  // Connects to the transfer's next address; finishes it when none is left.
  void ConnectNext(Transfer* t);
  void OnEvent(Connection* c, uint32_t events);
  // Moves the transfer on as far as its connection allows without blocking.
  void Advance(Transfer* t, uint32_t events);
  void Write(Transfer* t);
  void Read(Transfer* t);
  void OnParsed(Transfer* t, ParsedHttpResponse parsed);
  // The transfer's connection failed with `error`: replays the request once on a new
  // connection if PlainPost would, else finishes it with the error.
  void Failed(Transfer* t, absl::Status error);
  void Expire(Transfer* t);
  void Finish(Transfer* t, absl::StatusOr<PlainHttpResponse> response);
  Connection* Open(int fd, const std::string& server, bool writing);
  void WantWrite(Connection* c, bool on);
  void Close(Connection* c);
  void Idle(Connection* c);

  int epoll_fd_;
  int wake_fd_;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::multimap<std::string, Connection*> idle_;  // by server
  std::vector<std::unique_ptr<Connection>> closed_;  // freed after the Poll that closed them
  std::vector<Finished> finished_;
};

}  // namespace vigil::notifier
