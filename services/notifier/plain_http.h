#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::notifier {

// A plain-HTTP POST without libcurl: the common webhook (an `http://` URL, no proxy, no
// TLS) in the fewest system calls. Per request libcurl made about twenty (non-blocking
// connect, several polls, getsockname/getpeername for its connection info, fcntl); this
// makes socket, connect, one sendmsg, the reads of the answer and close, and keeps the
// connection for the thread's next request when the server allows it. Anything else
// (https, a proxy, a redirect to follow) stays with libcurl (PostJson decides).

// Where an `http://host[:port][/path][?query]` URL points. Not for https, user info in
// the URL, or a host that is not an IP literal or a name.
struct PlainHttpTarget {
  std::string host;         // as in the URL, without IPv6 brackets
  int port = 80;
  std::string host_header;  // Host: as the URL has it (brackets, explicit port)
  std::string request_target;  // path and query, "/" when empty
};
// nullopt when the URL is not one PlainPost can send (PostJson uses libcurl then).
std::optional<PlainHttpTarget> ParsePlainHttpUrl(std::string_view url);

struct PlainHttpResponse {
  int status = 0;
  std::string location;  // the Location header, for redirects
  std::string body;      // at most the first 1,024 bytes, for error messages
};

// What PlainHttpResponseParser made of the bytes: the answer (or the error that stands
// instead) and whether the connection may carry another request (the body read whole,
// not closed, nothing left over).
struct ParsedHttpResponse {
  absl::StatusOr<PlainHttpResponse> response;
  bool reusable = false;
};

// Parses one HTTP/1.x answer from the bytes received so far, going on from where the
// last call stopped (each byte is looked at once): 1xx answers skipped, the body framed
// by Content-Length, chunked encoding or the end of the stream. Parse returns nullopt while
// more bytes are needed and `end` is OK (more may come); otherwise `end` says why no more
// will (OutOfRange "EOF", DeadlineExceeded, a read error) and is the error when the head
// is incomplete. Never takes more than 64 KiB of header or 1 MiB of body. A malformed
// head is an error; once a head is read its status stands even if the body is cut short
// or malformed. One parser per answer.
class PlainHttpResponseParser {
 public:
  // `data`: every byte received so far (those of the last call, and maybe more).
  std::optional<ParsedHttpResponse> Parse(std::string_view data, const absl::Status& end);

 private:
  enum class Phase { kHead, kLength, kToEof, kChunks, kTrailers, kDone };
  enum class Step { kDone, kMore, kFailed };
  std::optional<ParsedHttpResponse> Done(absl::Status error);
  absl::Status ParseHead(std::string_view head);
  void Keep(std::string_view data);
  size_t Available() const { return data_.size() - pos_; }
  Step Length(size_t n);
  Step ToEof();
  Step Line(std::string_view* line);
  Step Chunked();

  std::string_view data_;
  const absl::Status* end_ = nullptr;
  Phase phase_ = Phase::kHead;
  size_t pos_ = 0;      // parsed up to here
  size_t scanned_ = 0;  // the next line's or the head's end looked for up to here
  PlainHttpResponse response_;
  bool close_ = false;
  bool chunked_ = false;
  int64_t content_length_ = -1;
  uint64_t chunked_total_ = 0;
};

// Reads one answer (as PlainHttpResponseParser) from the connected socket `fd` (blocking,
// its SO_RCVTIMEO bounding each read; past `deadline` no read starts). *reusable as
// above; *answered whether any byte came, so that a failure before it may be retried.
absl::StatusOr<PlainHttpResponse> ReadPlainHttpResponse(
    int fd, std::chrono::steady_clock::time_point deadline, bool* reusable, bool* answered);

// The request line and headers of a POST of `body_size` bytes with the "Name: value"
// `headers` (Host and Content-Length added); an error for a header value with a line
// break (it would inject headers; Go refuses it too).
absl::StatusOr<std::string> PlainPostHead(const PlainHttpTarget& target,
                                          const std::vector<std::string>& headers,
                                          size_t body_size);

// Whether the "Name: value" `headers` carry an Idempotency-Key or X-Idempotency-Key.
bool HasIdempotencyKey(const std::vector<std::string>& headers);

// What became of one try of a request on one connection, for the replay rule below.
struct PostTry {
  bool reused = false;     // on a kept connection
  bool replayed = false;   // already the second try
  bool answered = false;   // some byte of an answer came
  size_t bytes_sent = 0;
  bool keyed = false;      // HasIdempotencyKey
};
// Whether a try that failed with `error` is sent once more on a new connection (Go's
// net/http rule): a kept connection the server closed as the request went out, nothing of
// an answer, not a timeout, not replayed yet, and nothing of the request sent or an
// idempotency key on it (our bodies can always be sent again).
bool ReplayOnNewConnection(const PostTry& t, const absl::Status& error);

// A failed system call's error: "`what`: strerror(errno)".
absl::Status Errno(std::string_view what);

// The addresses to try for `target`, in order: an IP literal as is, a name through
// getaddrinfo (blocking, with resolv.conf's timeouts).
struct SocketAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
};
absl::StatusOr<std::vector<SocketAddress>> ResolvePlainHttpTarget(const PlainHttpTarget& target);

// The error of a failed connect to `target` (errno's), worded as Go's dialer.
absl::Status ConnectError(const PlainHttpTarget& target, int error);

// POSTs `body` with the "Name: value" `headers` (Host and Content-Length are added) and
// reads the answer, all within `timeout`. Reuses the calling thread's open connection to
// the same host and port when the last answer allowed it; if such a connection turns out
// closed before any byte of an answer, the request is sent once more on a new one when
// none of it was sent or it carries an Idempotency-Key header (Go's rule). An error is a
// network error, a malformed answer, or a header value with a line break.
absl::StatusOr<PlainHttpResponse> PlainPost(const PlainHttpTarget& target,
                                            const std::vector<std::string>& headers,
                                            std::string_view body, absl::Duration timeout);

}  // namespace vigil::notifier
