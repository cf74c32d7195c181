#include "services/notifier/plain_http_multi.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/base/format.h"

namespace vigil::notifier {
absl::StatusOr<std::unique_ptr<PlainHttpMulti>> PlainHttpMulti::Create() {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Errno("epoll_create1");
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status s = Errno("eventfd");
    ::close(epoll_fd);
    return s;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    absl::Status s = Errno("epoll_ctl");
    ::close(wake_fd);
    ::close(epoll_fd);
    return s;
  }
  return std::unique_ptr<PlainHttpMulti>(new PlainHttpMulti(epoll_fd, wake_fd));
}

PlainHttpMulti::~PlainHttpMulti() {
  for (auto& [ptr, c] : connections_) {
    if (c->fd >= 0) ::close(c->fd);
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void PlainHttpMulti::Wake() {
  const uint64_t one = 1;
  // EAGAIN (the counter is full) still leaves it readable: the wake-up is not lost.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void PlainHttpMulti::Start(uint64_t tag, const PlainHttpTarget& target,
                           const std::vector<std::string>& headers, std::string_view body,
                           absl::Duration timeout) {
  absl::StatusOr<std::string> head = PlainPostHead(target, headers, body.size());
  if (!head.ok()) {
    finished_.push_back({tag, head.status()});
    return;
  }
  auto owned = std::make_unique<Transfer>();
  Transfer* t = owned.get();
  t->tag = tag;
  t->target = target;
  t->server = StrCat(target.host, "\n", target.port);
  t->request = std::move(*head);
  t->request.append(body);
  t->keyed = HasIdempotencyKey(headers);
  t->deadline = Clock::now() + absl::ToChronoNanoseconds(timeout);
  transfers_.emplace(t, std::move(owned));
  Begin(t, /*may_reuse=*/true);
}

void PlainHttpMulti::Begin(Transfer* t, bool may_reuse) {
  t->written = 0;
  t->received.clear();
  t->parser = PlainHttpResponseParser();
  t->answered = false;
  t->reused = false;
  while (may_reuse) {
    // The connection used last, as Go's client: the least likely to have timed out.
    auto it = idle_.upper_bound(t->server);
    if (it == idle_.begin() || std::prev(it)->first != t->server) break;
    --it;
    Connection* c = it->second;
    idle_.erase(it);
    // A kept connection the server has closed meanwhile reads as ready (EOF); its event
    // may not have been polled yet. A request with an idempotency key skips that look (a
    // system call per request): if the server closed the connection, the request fails
    // without an answer and is replayed on a new connection (Failed), as Go's client
    // replays such a request.
    char byte;
    if (t->keyed || (::recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
                     (errno == EAGAIN || errno == EWOULDBLOCK))) {
      c->transfer = t;
      t->connection = c;
      t->reused = true;
      t->phase = Transfer::Phase::kWriting;
      Write(t);
      return;
    }
    Close(c);
  }
  if (t->addresses.empty()) {
    auto addresses = ResolvePlainHttpTarget(t->target);
    if (!addresses.ok()) {
      Finish(t, addresses.status());
      return;
    }
    t->addresses = std::move(*addresses);
  }
  t->next_address = 0;
  t->connect_error = absl::UnavailableError(StrCat("lookup ", t->target.host, ": no address"));
  ConnectNext(t);
}

void PlainHttpMulti::ConnectNext(Transfer* t) {
  while (t->next_address < t->addresses.size()) {
    const SocketAddress& a = t->addresses[t->next_address++];
    const int fd = socket(a.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      t->connect_error = Errno("socket");
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bool connected = connect(fd, reinterpret_cast<const sockaddr*>(&a.address), a.length) == 0;
    int error = connected || errno == EINPROGRESS ? 0 : errno;
    if (!connected && error == 0) {
      // Over loopback the handshake is done inside connect(): the request can go at once,
      // which saves waiting for EPOLLOUT and asking SO_ERROR. A socket still connecting
      // says EAGAIN; one whose connect failed, why.
      const ssize_t n = ::send(fd, t->request.data(), t->request.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        t->written = static_cast<size_t>(n);
        connected = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        error = errno;
      }
    }
    if (error != 0) {
      t->connect_error = ConnectError(t->target, error);
      ::close(fd);
      continue;
    }
    Connection* c = Open(fd, t->server, /*writing=*/!connected);
    if (c == nullptr) {
      t->connect_error = Errno("epoll_ctl");
      // What went out already must not go to another address too: the caller's retry
      // (with the same idempotency key) decides.
      if (t->written > 0) break;
      continue;
    }
    c->transfer = t;
    t->connection = c;
    t->phase = connected ? Transfer::Phase::kWriting : Transfer::Phase::kConnecting;
    if (connected) Write(t);
    return;
  }
  Finish(t, t->connect_error);
}

PlainHttpMulti::Connection* PlainHttpMulti::Open(int fd, const std::string& server, bool writing) {
  auto owned = std::make_unique<Connection>();
  Connection* c = owned.get();
  c->fd = fd;
  c->server = server;
  c->writing = writing;
  epoll_event ev{};
  ev.events = writing ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = c;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    return nullptr;
  }
  connections_.emplace(c, std::move(owned));
  return c;
}

// Level-triggered: EPOLLOUT while a connect or a write waits for it, EPOLLIN otherwise
// (an answer, or an idle connection closing). Not both: an answer that comes before the
// request is all written (or the server's half-close) would be reported at every wait
// while nothing reads it, spinning the thread until the write could go on.
void PlainHttpMulti::WantWrite(Connection* c, bool on) {
  if (c->writing == on) return;
  c->writing = on;
  epoll_event ev{};
  ev.events = on ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void PlainHttpMulti::Close(Connection* c) {
  if (c->fd < 0) return;
  ::close(c->fd);  // leaves the epoll set with it (the process never dups nor forks it)
  c->fd = -1;
  if (c->transfer != nullptr) c->transfer->connection = nullptr;
  c->transfer = nullptr;
  auto it = connections_.find(c);
  closed_.push_back(std::move(it->second));
  connections_.erase(it);
}

void PlainHttpMulti::Idle(Connection* c) {
  c->transfer = nullptr;
  WantWrite(c, false);
  idle_.emplace(c->server, c);
}

void PlainHttpMulti::OnEvent(Connection* c, uint32_t events) {
  if (c->fd < 0) return;  // closed earlier in this Poll
  if (c->transfer == nullptr) {
    // Idle: the server closed it, or sent what nobody asked for. Either way not reusable.
    for (auto it = idle_.find(c->server); it != idle_.end() && it->first == c->server; ++it) {
      if (it->second == c) {
        idle_.erase(it);
        break;
      }
    }
    Close(c);
    return;
  }
  Advance(c->transfer, events);
}

void PlainHttpMulti::Advance(Transfer* t, uint32_t events) {
  Connection* c = t->connection;
  switch (t->phase) {
    case Transfer::Phase::kConnecting: {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int error = 0;
      socklen_t len = sizeof(error);
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
      if (error != 0) {
        Close(c);
        t->connect_error = ConnectError(t->target, error);
        ConnectNext(t);
        return;
      }
      t->phase = Transfer::Phase::kWriting;
      Write(t);
      return;
    }
    case Transfer::Phase::kWriting:
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) Write(t);
      return;
    case Transfer::Phase::kReading:
      Read(t);
      return;
  }
}

// MSG_NOSIGNAL: a peer that has closed the connection is an error value, not a SIGPIPE.
void PlainHttpMulti::Write(Transfer* t) {
  Connection* c = t->connection;
  while (t->written < t->request.size()) {
    const ssize_t n = ::send(c->fd, t->request.data() + t->written,
                             t->request.size() - t->written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WantWrite(c, true);
        return;
      }
      Failed(t, Errno("write"));
      return;
    }
    t->written += static_cast<size_t>(n);
  }
  WantWrite(c, false);
  t->phase = Transfer::Phase::kReading;
}

void PlainHttpMulti::Read(Transfer* t) {
  Connection* c = t->connection;
  char chunk[16 * 1024];
  ssize_t n;
  do {
    n = ::recv(c->fd, chunk, sizeof(chunk), 0);
  } while (n < 0 && errno == EINTR);
  absl::Status end;  // OK while more may come
  if (n > 0) {
    t->received.append(chunk, static_cast<size_t>(n));
    t->answered = true;
  } else if (n == 0) {
    end = absl::OutOfRangeError("EOF");
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    return;  // not ready after all
  } else {
    end = Errno("read");
  }
  if (std::optional<ParsedHttpResponse> parsed = t->parser.Parse(t->received, end)) {
    OnParsed(t, std::move(*parsed));
  }
}

void PlainHttpMulti::OnParsed(Transfer* t, ParsedHttpResponse parsed) {
  if (!parsed.response.ok()) {
    Failed(t, parsed.response.status());
    return;
  }
  Connection* c = t->connection;
  t->connection = nullptr;
  if (parsed.reusable) {
    Idle(c);
  } else {
    Close(c);
  }
  Finish(t, std::move(parsed.response));
}

void PlainHttpMulti::Failed(Transfer* t, absl::Status error) {
  if (t->connection != nullptr) Close(t->connection);
  const PostTry tried{.reused = t->reused, .replayed = t->replayed, .answered = t->answered,
                      .bytes_sent = t->written, .keyed = t->keyed};
  if (!ReplayOnNewConnection(tried, error)) {
    Finish(t, std::move(error));
    return;
  }
  t->replayed = true;
  Begin(t, /*may_reuse=*/false);
}

void PlainHttpMulti::Expire(Transfer* t) {
  switch (t->phase) {
    case Transfer::Phase::kConnecting:
      Failed(t, absl::DeadlineExceededError("connect: timeout"));
      return;
    case Transfer::Phase::kWriting:
      Failed(t, absl::DeadlineExceededError("write: timeout"));
      return;
    case Transfer::Phase::kReading: {
      // A head read in time stands, as in PlainPost; the connection is not kept.
      std::optional<ParsedHttpResponse> parsed =
          t->parser.Parse(t->received, absl::DeadlineExceededError("read: timeout"));
      parsed->reusable = false;
      OnParsed(t, std::move(*parsed));
      return;
    }
  }
}

void PlainHttpMulti::Finish(Transfer* t, absl::StatusOr<PlainHttpResponse> response) {
  if (t->connection != nullptr) Close(t->connection);
  finished_.push_back({t->tag, std::move(response)});
  transfers_.erase(t);
}

void PlainHttpMulti::Poll(absl::Time until, std::vector<Finished>* finished) {
  int timeout_ms = 0;
  if (finished_.empty()) {
    // The nearer of `until` and the first deadline, rounded up to a whole millisecond
    // (epoll's unit) so that the wait never ends just before it.
    const Clock::time_point now = Clock::now();
    Clock::duration wait = Clock::duration::max();
    if (until != absl::InfiniteFuture()) {
      wait = absl::ToChronoNanoseconds(std::max(until - absl::Now(), absl::ZeroDuration()));
    }
    for (const auto& [ptr, t] : transfers_) {
      wait = std::min(wait, std::max(t->deadline - now, Clock::duration::zero()));
    }
    if (wait == Clock::duration::max()) {
      timeout_ms = -1;
    } else {
      timeout_ms = static_cast<int>(std::min<int64_t>(
          std::chrono::ceil<std::chrono::milliseconds>(wait).count(), 24 * 3600 * 1000));
    }
  }
  epoll_event events[64];
  int n;
  do {
    n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof(count));
      continue;
    }
    OnEvent(static_cast<Connection*>(events[i].data.ptr), events[i].events);
  }
  const Clock::time_point now = Clock::now();
  std::vector<Transfer*> expired;
  for (const auto& [ptr, t] : transfers_) {
    if (t->deadline <= now) expired.push_back(ptr);
  }
  for (Transfer* t : expired) Expire(t);
  closed_.clear();
  for (Finished& f : finished_) finished->push_back(std::move(f));
  finished_.clear();
}

}  // namespace vigil::notifier
