// Any bytes a webhook receiver answers with: read as an HTTP/1.x answer or rejected with
// an error, never a crash, a hang or an over-read; what is accepted is well formed. And the
// parser fed the bytes in pieces (cut where the bytes themselves say, as reads would cut
// them) gives what it gives for all of them at once.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "services/notifier/plain_http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 100000) return 0;  // the socket pair's buffer holds it all
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 0;
  int buffer = 1 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fds[0], data + written, size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(fds[0]);  // the answer ends where the input does
  bool reusable = false;
  bool answered = false;
  auto r = vigil::notifier::ReadPlainHttpResponse(fds[1], std::chrono::steady_clock::now() + std::chrono::seconds(5),
                                                  &reusable, &answered);
  close(fds[1]);
  if (r.ok()) {
    if (r->status < 100 || r->status > 999 || r->body.size() > 1024) std::abort();
    if (!answered) std::abort();  // an answer came from somewhere
  }

  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const absl::Status eof = absl::OutOfRangeError("EOF");
  auto whole = vigil::notifier::PlainHttpResponseParser().Parse(all, eof);
  if (!whole.has_value()) std::abort();  // the end has come: there is an answer or an error
  vigil::notifier::PlainHttpResponseParser parser;
  std::optional<vigil::notifier::ParsedHttpResponse> fed;
  for (size_t n = 0, i = 0; n < size && !fed; ++i) {
    n = std::min(size, n + 1 + data[i % size] % 23);
    fed = parser.Parse(all.substr(0, n), n < size ? absl::OkStatus() : eof);
  }
  if (!fed.has_value()) fed = parser.Parse(all, eof);
  if (!fed.has_value() || fed->response.ok() != whole->response.ok()) std::abort();
  if (fed->response.ok()) {
    if (fed->response->status != whole->response->status ||
        fed->response->body != whole->response->body ||
        fed->response->location != whole->response->location) {
      std::abort();
    }
  } else if (fed->response.status() != whole->response.status()) {
    std::abort();
  }
  return 0;
}
