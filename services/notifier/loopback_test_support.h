#pragma once

// For the plain-HTTP clients' tests (header-only, test code only): the raw-socket side of
// a hand-written HTTP server on 127.0.0.1, so that a test controls every byte and every
// close. plain_http_test.cc and plain_http_multi_test.cc build their servers on it.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace vigil::notifier {

// A listening socket on 127.0.0.1 at a port the kernel picks (port 0: tests run in
// parallel without clashing). Shutdown() makes a blocked Accept return -1, so that the
// server's thread can end before the destructor closes the socket.
class LoopbackListener {
 public:
  explicit LoopbackListener(int backlog) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, backlog), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~LoopbackListener() { close(fd_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int port() const { return port_; }
  // The next connection's descriptor (the caller closes it); -1 after Shutdown.
  int Accept() { return accept(fd_, nullptr, nullptr); }
  void Shutdown() { shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Reads one request (its head and a Content-Length body) from `fd` into *request, keeping
// in *buf what came after it (a pipelined next request); false at EOF or a read error.
inline bool ReadHttpRequest(int fd, std::string* buf, std::string* request) {
  char chunk[4096];
  size_t head_end;
  while ((head_end = buf->find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
  }
  size_t length = 0;
  const size_t cl = buf->find("Content-Length: ");
  if (cl != std::string::npos && cl < head_end) length = std::stoul(buf->substr(cl + 16));
  while (buf->size() < head_end + 4 + length) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
  }
  *request = buf->substr(0, head_end + 4 + length);
  buf->erase(0, head_end + 4 + length);
  return true;
}

}  // namespace vigil::notifier
