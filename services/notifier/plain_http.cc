#include "services/notifier/plain_http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <charconv>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "lib/base/format.h"

namespace vigil::notifier {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kKeptBodyBytes = 1024;
// A longer answer is read no further: the connection is closed instead of drained.
constexpr size_t kMaxDrainedBodyBytes = 1 << 20;

// The calling thread's open connection, kept for its next request to the same server.
struct Connection {
  int fd = -1;
  std::string server;  // host and port it is connected to
  ~Connection() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    server.clear();
  }
};

thread_local Connection connection;

bool IEquals(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}
bool IContains(std::string_view haystack, std::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(ToAbsl(haystack)), ToAbsl(needle));
}
std::string_view Strip(std::string_view s) { return ToStd(absl::StripAsciiWhitespace(ToAbsl(s))); }
// A whole decimal (or hex) number, nothing else.
template <typename Int>
bool ParseInt(std::string_view s, Int* out, int base = 10) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

// Deadlines on the monotonic clock: a step of the wall clock neither stretches nor cuts
// a request's time.
Clock::duration Remaining(Deadline deadline) {
  return std::max(deadline - Clock::now(), Clock::duration::zero());
}

// A blocking socket's send and receive timeouts (Linux applies the send timeout to
// connect too): one system call each instead of a poll before every call. Rounded up to
// a whole microsecond, at least one: a zero timeval would mean "wait forever".
bool SetTimeout(int fd, int option, Clock::duration d) {
  const auto us = std::max<int64_t>(
      1, std::chrono::ceil<std::chrono::microseconds>(d).count());
  const timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) == 0;
}

absl::StatusOr<int> Connect(const PlainHttpTarget& t, Deadline deadline) {
  auto addresses = ResolvePlainHttpTarget(t);
  if (!addresses.ok()) return addresses.status();
  absl::Status last = absl::UnavailableError(StrCat("lookup ", t.host, ": no address"));
  for (const SocketAddress& a : *addresses) {
    const int fd = socket(a.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = Errno("socket");
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (SetTimeout(fd, SO_SNDTIMEO, Remaining(deadline)) &&
        connect(fd, reinterpret_cast<const sockaddr*>(&a.address), a.length) == 0) {
      return fd;
    }
    // EINPROGRESS from a blocking connect: the send timeout ran out.
    last = errno == EINPROGRESS ? absl::DeadlineExceededError("connect: timeout")
                                : ConnectError(t, errno);
    ::close(fd);
  }
  return last;
}

}  // namespace

std::optional<ParsedHttpResponse> PlainHttpResponseParser::Parse(std::string_view data,
                                                                 const absl::Status& end) {
  data_ = data;
  end_ = &end;
  while (phase_ == Phase::kHead) {  // 1xx answers come before the real one
    const size_t header_end = data_.find("\r\n\r\n", std::max(pos_, scanned_));
    // Too long whether or not its end has come: the same answer however the bytes were cut.
    if (header_end == std::string_view::npos ? Available() > kMaxHeaderBytes + 3
                                             : header_end - pos_ > kMaxHeaderBytes) {
      return Done(absl::InvalidArgumentError("malformed HTTP response: header too long"));
    }
    if (header_end == std::string_view::npos) {
      // Scanned up to here: a "\r\n\r\n" may still end within the last three bytes.
      scanned_ = std::max(pos_, data_.size() >= 3 ? data_.size() - 3 : 0);
      if (end.ok()) return std::nullopt;
      return Done(end);
    }
    if (auto s = ParseHead(data_.substr(pos_, header_end - pos_)); !s.ok()) return Done(s);
    pos_ = header_end + 4;
    if (response_.status >= 200 || response_.status == 101) {
      if (response_.status == 204 || response_.status == 304) {
        phase_ = Phase::kDone;
      } else if (chunked_) {
        phase_ = Phase::kChunks;
      } else if (content_length_ >= 0) {
        phase_ = Phase::kLength;
      } else {
        close_ = true;
        phase_ = Phase::kToEof;
      }
    }
  }
  Step body = Step::kDone;
  switch (phase_) {
    case Phase::kHead:
    case Phase::kDone:
      break;
    case Phase::kLength:
      body = Length(static_cast<size_t>(content_length_));
      break;
    case Phase::kToEof:
      body = ToEof();
      break;
    case Phase::kChunks:
    case Phase::kTrailers:
      body = Chunked();
      break;
  }
  if (body == Step::kMore) {
    if (end.ok()) return std::nullopt;
    body = Step::kFailed;  // cut short by the end of the stream or of the time
  }
  phase_ = Phase::kDone;
  // The status decides (as Alertmanager's retrier, which never reads the body of a 2xx):
  // a body cut short or malformed only makes the connection unusable.
  const bool reusable = body == Step::kDone && !close_ && pos_ == data_.size();
  return ParsedHttpResponse{response_, reusable};
}

std::optional<ParsedHttpResponse> PlainHttpResponseParser::Done(absl::Status error) {
  phase_ = Phase::kDone;
  return ParsedHttpResponse{std::move(error), false};
}

absl::Status PlainHttpResponseParser::ParseHead(std::string_view head) {
  PlainHttpResponse& r = response_;
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 ||
      status_line[8] != ' ' || (status_line.size() > 12 && status_line[12] != ' ') ||
      !ParseInt(status_line.substr(9, 3), &r.status) || r.status < 100 || r.status > 999) {
    return absl::InvalidArgumentError(
        StrCat("malformed HTTP response \"", status_line.substr(0, 64), "\""));
  }
  close_ = status_line[7] == '0';  // HTTP/1.0: no keep-alive unless asked; we never ask
  chunked_ = false;
  content_length_ = -1;
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(
          StrCat("malformed HTTP response: header line \"", line.substr(0, 64), "\""));
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Strip(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      int64_t n = -1;
      if (!ParseInt(value, &n) || n < 0) {
        return absl::InvalidArgumentError("malformed HTTP response: bad Content-Length");
      }
      content_length_ = n;
    } else if (IEquals(name, "transfer-encoding")) {
      chunked_ = IContains(value, "chunked");
    } else if (IEquals(name, "connection")) {
      if (IContains(value, "close")) close_ = true;
    } else if (IEquals(name, "location")) {
      r.location = std::string(value);
    }
  }
  return absl::OkStatus();
}

void PlainHttpResponseParser::Keep(std::string_view data) {
  std::string& body = response_.body;
  if (body.size() < kKeptBodyBytes) body.append(data.substr(0, kKeptBodyBytes - body.size()));
}

// A body the connection ends with anyway (too long to drain, or delimited by the end
// of the stream) is read only as far as it is kept.
PlainHttpResponseParser::Step PlainHttpResponseParser::Length(size_t n) {
  if (n > kMaxDrainedBodyBytes) close_ = true;
  const size_t wanted = close_ ? std::min(n, kKeptBodyBytes) : n;
  if (Available() < wanted) {
    if (!end_->ok()) Keep(data_.substr(pos_));  // what came, for the error text
    return Step::kMore;
  }
  Keep(data_.substr(pos_, wanted));
  pos_ += wanted;
  return Step::kDone;
}

PlainHttpResponseParser::Step PlainHttpResponseParser::ToEof() {
  if (Available() < kKeptBodyBytes && end_->ok()) return Step::kMore;
  Keep(data_.substr(pos_));
  pos_ = data_.size();
  return Step::kDone;  // the end of the stream (or enough of it kept) ends this answer
}

// The next CRLF-terminated line, or why there is none yet.
PlainHttpResponseParser::Step PlainHttpResponseParser::Line(std::string_view* line) {
  const size_t eol = data_.find("\r\n", std::max(pos_, scanned_));
  if (eol == std::string_view::npos) {
    scanned_ = std::max(pos_, data_.size() >= 1 ? data_.size() - 1 : 0);
    return Available() > kMaxHeaderBytes + 1 ? Step::kFailed : Step::kMore;
  }
  if (eol - pos_ > kMaxHeaderBytes) return Step::kFailed;
  *line = data_.substr(pos_, eol - pos_);
  pos_ = eol + 2;
  return Step::kDone;
}

// Moves pos_ past each chunk (and then each trailer) only once it has come whole, so
// that the next call goes on from there.
PlainHttpResponseParser::Step PlainHttpResponseParser::Chunked() {
  std::string_view line;
  while (phase_ == Phase::kChunks) {
    const size_t chunk_start = pos_;
    if (Step s = Line(&line); s != Step::kDone) return s;
    std::string_view size_text = line.substr(0, line.find(';'));  // chunk extensions
    uint64_t size = 0;
    if (!ParseInt(Strip(size_text), &size, 16)) return Step::kFailed;
    if (size == 0) {
      phase_ = Phase::kTrailers;
      break;
    }
    if (size > kMaxDrainedBodyBytes - chunked_total_) {
      close_ = true;
      return Step::kDone;
    }
    if (Available() < size + 2) {
      pos_ = chunk_start;  // again from its size line when more has come
      return Step::kMore;
    }
    Keep(data_.substr(pos_, size));
    if (data_.substr(pos_ + size, 2) != "\r\n") return Step::kFailed;
    pos_ += size + 2;
    chunked_total_ += size;
  }
  while (true) {  // trailers, up to the empty line
    if (Step s = Line(&line); s != Step::kDone) return s;
    if (line.empty()) return Step::kDone;
  }
}

namespace {

// Writes all of `parts` by `deadline`, continuing after partial writes; *written counts
// the bytes sent. MSG_NOSIGNAL: a peer that has closed the connection is an error value,
// not a SIGPIPE.
absl::Status WriteAll(int fd, iovec* parts, int count, Deadline deadline, size_t* written) {
  *written = 0;
  while (count > 0) {
    if (*written > 0) {  // a partial write used up the send timeout set for the whole
      const Clock::duration left = Remaining(deadline);
      if (left <= Clock::duration::zero()) return absl::DeadlineExceededError("write: timeout");
      SetTimeout(fd, SO_SNDTIMEO, left);
    }
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<size_t>(count);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? absl::DeadlineExceededError("write: timeout") : Errno("write");
    }
    *written += static_cast<size_t>(n);
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= parts->iov_len) {
      left -= parts->iov_len;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char*>(parts->iov_base) + left;
      parts->iov_len -= left;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PlainHttpResponse> ReadPlainHttpResponse(int fd, Deadline deadline,
                                                        bool* reusable, bool* answered) {
  *reusable = false;
  std::string received;
  PlainHttpResponseParser parser;
  absl::Status end;  // OK while more may come
  for (int reads = 0;; ++reads) {
    if (!received.empty() || !end.ok()) {
      if (std::optional<ParsedHttpResponse> parsed = parser.Parse(received, end)) {
        *reusable = parsed->reusable;
        return std::move(parsed->response);
      }
    }
    const Clock::duration left = Remaining(deadline);
    if (left <= Clock::duration::zero()) {
      end = absl::DeadlineExceededError("read: timeout");
      continue;
    }
    if (reads > 0) SetTimeout(fd, SO_RCVTIMEO, left);
    char chunk[16 * 1024];
    ssize_t n;
    do {
      n = ::read(fd, chunk, sizeof(chunk));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      received.append(chunk, static_cast<size_t>(n));
      *answered = true;
    } else if (n == 0) {
      end = absl::OutOfRangeError("EOF");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      end = absl::DeadlineExceededError("read: timeout");
    } else {
      end = Errno("read");
    }
  }
}

absl::StatusOr<std::string> PlainPostHead(const PlainHttpTarget& target,
                                          const std::vector<std::string>& headers,
                                          size_t body_size) {
  std::string head = StrCat("POST ", target.request_target, " HTTP/1.1\r\nHost: ",
                            target.host_header, "\r\n");
  for (const std::string& h : headers) {
    if (h.find_first_of("\r\n") != std::string::npos) {
      // A secret file with a line break inside would inject headers; Go refuses it too.
      return absl::InvalidArgumentError(StrCat(
          "invalid header field value for \"", std::string_view(h).substr(0, h.find(':')), "\""));
    }
    head += StrCat(h, "\r\n");
  }
  head += StrCat("Content-Length: ", body_size, "\r\n\r\n");
  return head;
}

bool HasIdempotencyKey(const std::vector<std::string>& headers) {
  for (const std::string& h : headers) {
    const std::string_view name = std::string_view(h).substr(0, h.find(':'));
    if (IEquals(name, "Idempotency-Key") || IEquals(name, "X-Idempotency-Key")) return true;
  }
  return false;
}

bool ReplayOnNewConnection(const PostTry& t, const absl::Status& error) {
  return t.reused && !t.replayed && !t.answered && !absl::IsDeadlineExceeded(error) &&
         (t.bytes_sent == 0 || t.keyed);
}

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<std::vector<SocketAddress>> ResolvePlainHttpTarget(const PlainHttpTarget& t) {
  std::vector<SocketAddress> out(1);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out[0].address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out[0].address);
  if (inet_pton(AF_INET, t.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(t.port));
    out[0].length = sizeof(sockaddr_in);
    return out;
  }
  if (inet_pton(AF_INET6, t.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(t.port));
    out[0].length = sizeof(sockaddr_in6);
    return out;
  }
  out.clear();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  const std::string port = std::to_string(t.port);
  if (int rc = getaddrinfo(t.host.c_str(), port.c_str(), &hints, &resolved); rc != 0) {
    return absl::UnavailableError(StrCat("lookup ", t.host, ": ", gai_strerror(rc)));
  }
  for (addrinfo* a = resolved; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress& s = out.emplace_back();
    std::memcpy(&s.address, a->ai_addr, a->ai_addrlen);
    s.length = a->ai_addrlen;
  }
  freeaddrinfo(resolved);
  if (out.empty()) return absl::UnavailableError(StrCat("lookup ", t.host, ": no address"));
  return out;
}

absl::Status ConnectError(const PlainHttpTarget& t, int error) {
  return absl::UnavailableError(StrCat("dial tcp ", t.host_header, ": connect: ",
                                       absl::AsciiStrToLower(std::strerror(error))));
}

std::optional<PlainHttpTarget> ParsePlainHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || !IEquals(url.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  rest = rest.substr(0, rest.find('#'));  // a fragment is not sent
  const size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  PlainHttpTarget t;
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    t.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (t.host.empty()) return std::nullopt;
  if (!port.empty() && (!ParseInt(port, &t.port) || t.port < 1 || t.port > 65535)) {
    return std::nullopt;
  }
  t.host_header = std::string(authority);
  // The path and query as sent: an empty path is "/", also before a query.
  const std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  t.request_target = path.empty() || path.front() == '?' ? StrCat("/", path) : std::string(path);
  return t;
}

absl::StatusOr<PlainHttpResponse> PlainPost(const PlainHttpTarget& target,
                                            const std::vector<std::string>& headers,
                                            std::string_view body, absl::Duration timeout) {
  const Deadline deadline = Clock::now() + absl::ToChronoNanoseconds(timeout);
  absl::StatusOr<std::string> head_or = PlainPostHead(target, headers, body.size());
  if (!head_or.ok()) return head_or.status();
  std::string& head = *head_or;
  const std::string server = StrCat(target.host, "\n", target.port);
  const bool keyed = HasIdempotencyKey(headers);

  for (int attempt = 0;; ++attempt) {
    Connection& c = connection;
    bool reused = false;
    if (c.fd >= 0 && c.server == server) {
      // A kept connection the server has closed meanwhile reads as ready (EOF).
      pollfd p{c.fd, POLLIN, 0};
      reused = poll(&p, 1, 0) == 0;
    }
    if (!reused) {
      c.Close();
      auto fd = Connect(target, deadline);
      if (!fd.ok()) return fd.status();
      c.fd = *fd;
      c.server = server;
    }
    SetTimeout(c.fd, SO_SNDTIMEO, Remaining(deadline));
    iovec parts[2] = {{head.data(), head.size()},
                      {const_cast<char*>(body.data()), body.size()}};
    size_t written = 0;
    absl::Status sent = WriteAll(c.fd, parts, body.empty() ? 1 : 2, deadline, &written);
    bool reusable = false;
    bool answered = false;
    absl::StatusOr<PlainHttpResponse> response = absl::UnknownError("not sent");
    if (sent.ok()) {
      SetTimeout(c.fd, SO_RCVTIMEO, Remaining(deadline));
      response = ReadPlainHttpResponse(c.fd, deadline, &reusable, &answered);
    } else {
      response = sent;
    }
    if (!reusable) c.Close();
    if (response.ok()) return response;
    const PostTry tried{.reused = reused, .replayed = attempt > 0, .answered = answered,
                        .bytes_sent = written, .keyed = keyed};
    if (!ReplayOnNewConnection(tried, response.status())) return response.status();
  }
}

}  // namespace vigil::notifier
