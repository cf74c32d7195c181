// Alert load and webhook receiver for notifier benchmarks: drives Alertmanager's HTTP API v2
// (`POST /api/v2/alerts`) of any server that speaks it — Alertmanager 0.25 or
// vigil-notifier — and receives the webhook notifications it sends, so both can be measured
// with the same load (bench/notifier_vs_alertmanager.sh).
//
//   alert_load ingest  --url URL --pid PID [--groups 10 --alerts-per-group 1000 --batch 100
//                      --connections 2 --warmup 2 --seconds 10 --rate 0]
//       Posts batches of a fixed pool of alerts (label `group` = one of --groups values, so a
//       route with group_by [alertname, group] makes a few groups) as fast as possible (or at
//       --rate alerts/s) and reports alerts accepted per second and CPU per alert.
//   alert_load notify  --url URL --pid PID --receiver-port PORT [--alerts 10000 --batch 100
//                      --keep-alive 0]
//       Posts --alerts alerts with distinct labels (one group each with group_by ['...'] and
//       group_wait 0) and waits until the receiver got all of them; reports notifications per
//       second from the first POST to the last notification, and CPU per notification
//       (which includes ingesting its alert). --keep-alive 1: the receiver keeps connections
//       open between notifications (see Receiver); 0: it closes each.
//   alert_load latency --url URL --pid PID --receiver-port PORT [--samples 500]
//       One alert at a time: time from just before its POST to the moment the receiver has
//       its notification, with group_wait 0. Reports p50, p99 and max.
//
// CPU is the target process's user + system time from /proc/PID/stat over the measured
// interval. Prints one JSON object on stdout.

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::string mode;
  std::string url;
  int pid = 0;
  int receiver_port = 0;
  int groups = 10;
  int alerts_per_group = 1000;
  int batch = 100;
  int connections = 2;
  double warmup_s = 2;
  double seconds = 10;
  double rate = 0;  // alerts/s over all connections; 0: as fast as possible
  int alerts = 10000;
  int samples = 500;
  double timeout_s = 120;
  bool keep_alive = false;  // the receiver keeps connections open between notifications
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// User + system CPU seconds of a process, from /proc/PID/stat (fields 14 and 15).
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may contain spaces
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// An alert as Prometheus sends it: fixed startsAt/endsAt, a generator URL, an annotation.
std::string AlertJson(const std::string& group, const std::string& id) {
  return R"({"labels":{"alertname":"BenchAlert","severity":"page","group":")" + group +
         R"(","id":")" + id +
         R"("},"annotations":{"summary":"benchmark alert","description":"load from alert_load"},)"
         R"("startsAt":"2026-01-01T00:00:00Z","endsAt":"2100-01-01T00:00:00Z",)"
         R"("generatorURL":"http://bench.example/graph?g0.expr=up"})";
}

std::string BatchJson(const std::vector<std::string>& alerts) {
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) out += ',';
    out += alerts[i];
  }
  return out + "]";
}

// POSTs a body to /api/v2/alerts on a keep-alive connection; true on 2xx.
bool Post(httplib::Client& client, const std::string& body) {
  auto res = client.Post("/api/v2/alerts", body, "application/json");
  return res && res->status / 100 == 2;
}

httplib::Client MakeClient(const std::string& url) {
  httplib::Client client(url);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // headers and body are separate writes: no Nagle delay
  client.set_read_timeout(30, 0);
  return client;
}

// Webhook receiver: one thread serving any number of connections with epoll. Counts
// notifications and alerts, and remembers when each alert id first arrived.
//
// With keep_alive it answers as an HTTP/1.1 server does and keeps each connection for the
// next request (Alertmanager's client keeps up to 1000 idle connections per host,
// vigil-notifier's one per delivery worker). Without, every answer says "Connection:
// close" and the connection is closed: each notification then costs its sender a TCP
// connection. Request bodies must come with a Content-Length (both notifiers send one).
class Receiver {
 public:
  Receiver(int port, bool keep_alive) : keep_alive_(keep_alive) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int yes = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A deep backlog: Alertmanager opens many connections at once.
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 4096) != 0) {
      std::fprintf(stderr, "cannot bind receiver port %d: %s\n", port, std::strerror(errno));
      std::exit(1);
    }
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Watch(listen_fd_);
    Watch(stop_fd_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    const uint64_t one = 1;
    if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) std::abort();
    thread_.join();
    for (auto& [fd, in] : connections_) close(fd);
    close(listen_fd_);
    close(stop_fd_);
    close(epoll_fd_);
  }

  // Waits until `ready(alerts, notifications)` holds; false on timeout.
  template <typename Pred>
  bool WaitFor(Pred ready, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return ready(*this); });
  }
  // Under the lock (from WaitFor's predicate) or after the load stopped.
  uint64_t alerts() const { return alerts_; }
  uint64_t distinct_alerts() const { return first_seen_.size(); }
  uint64_t notifications() const { return notifications_; }
  bool Seen(const std::string& id) const { return first_seen_.count(id) > 0; }
  Clock::time_point SeenAt(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return first_seen_.at(id);
  }
  Clock::time_point last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  void Watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  void Serve() {
    epoll_event events[256];
    while (true) {
      const int n = epoll_wait(epoll_fd_, events, 256, -1);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          int c;
          while ((c = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
            const int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            connections_[c];
            Watch(c);
          }
          continue;
        }
        ReadFrom(fd);
      }
    }
  }
  void Close(int fd) {
    connections_.erase(fd);
    close(fd);  // also leaves the epoll set
  }
  // Reads what the connection has, answers each complete request in it.
  void ReadFrom(int fd) {
    std::string& in = connections_[fd];
    char buf[64 * 1024];
    while (true) {
      const ssize_t got = read(fd, buf, sizeof(buf));
      if (got > 0) {
        in.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Close(fd);  // EOF or error
      return;
    }
    while (true) {
      const size_t head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      std::string head = in.substr(0, head_end);
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      size_t length = 0;
      if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
        length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
      }
      if (in.size() < head_end + 4 + length) return;
      const bool client_closes = head.find("\r\nconnection: close") != std::string::npos;
      Handle(in.substr(head_end + 4, length));
      in.erase(0, head_end + 4 + length);
      const bool closing = !keep_alive_ || client_closes;
      const std::string_view answer =
          closing ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                  : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      // A few bytes into an empty socket buffer: the send completes at once.
      if (send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(answer.size()) ||
          closing) {
        Close(fd);
        return;
      }
    }
  }
  void Handle(const std::string& body) {
    const Clock::time_point now = Clock::now();
    json payload = json::parse(body, nullptr, false);
    if (payload.is_discarded() || !payload.contains("alerts")) return;
    std::lock_guard<std::mutex> lock(mu_);
    ++notifications_;
    for (const json& a : payload["alerts"]) {
      ++alerts_;
      const std::string id = a["labels"].value("id", "");
      first_seen_.emplace(id, now);
    }
    last_ = now;
    cv_.notify_all();
  }

  const bool keep_alive_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  std::unordered_map<int, std::string> connections_;  // the serving thread's: bytes unread
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t notifications_ = 0;
  uint64_t alerts_ = 0;
  std::unordered_map<std::string, Clock::time_point> first_seen_;
  Clock::time_point last_;
};

// Throughput and CPU cost of `n` units (alerts, notifications) over `secs` and `cpu` seconds.
json Rates(const std::string& unit, double n, double secs, double cpu) {
  return {{"seconds", secs},
          {unit + "s_per_s", n / secs},
          {"cpu_s", cpu},
          {"cpu_us_per_" + unit, n > 0 ? cpu * 1e6 / n : 0},
          {unit + "s_per_cpu_s", cpu > 0 ? n / cpu : 0}};
}

json Ingest(const Options& o) {
  // The pool of alerts, cut into batches; every batch is posted over and over.
  struct Batch {
    std::string body;
    uint64_t alerts;
  };
  std::vector<Batch> bodies;
  std::vector<std::string> pending;
  for (int g = 0; g < o.groups; ++g) {
    for (int i = 0; i < o.alerts_per_group; ++i) {
      pending.push_back(AlertJson("g" + std::to_string(g), std::to_string(i)));
      if (static_cast<int>(pending.size()) == o.batch) {
        bodies.push_back({BatchJson(pending), pending.size()});
        pending.clear();
      }
    }
  }
  if (!pending.empty()) bodies.push_back({BatchJson(pending), pending.size()});

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<uint64_t> accepted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client = MakeClient(o.url);
      const double per_thread_rate = o.rate / o.connections;
      Clock::time_point next = Clock::now();
      for (size_t i = c; !stop; i += o.connections) {
        const Batch& batch = bodies[i % bodies.size()];
        const uint64_t n = batch.alerts;
        const bool ok = Post(client, batch.body);
        if (measuring) (ok ? accepted : failed) += ok ? n : 1;
        if (per_thread_rate > 0) {
          next += std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(static_cast<double>(n) / per_thread_rate));
          std::this_thread::sleep_until(next);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
  const double cpu0 = CpuSeconds(o.pid);
  const Clock::time_point t0 = Clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  const double cpu1 = CpuSeconds(o.pid);
  const Clock::time_point t1 = Clock::now();
  stop = true;
  for (std::thread& t : threads) t.join();
  const double secs = Seconds(t1 - t0);
  const double cpu = cpu1 - cpu0;
  const double n = static_cast<double>(accepted.load());
  json out = Rates("alert", n, secs, cpu);
  out.update({{"mode", "ingest"}, {"alerts", accepted.load()}, {"failed_posts", failed.load()}});
  return out;
}

json Notify(const Options& o) {
  Receiver receiver(o.receiver_port, o.keep_alive);
  const double cpu0 = CpuSeconds(o.pid);
  const Clock::time_point t0 = Clock::now();
  std::atomic<int> next_batch{0};
  std::atomic<uint64_t> failed{0};
  std::vector<std::thread> threads;
  const int batches = (o.alerts + o.batch - 1) / o.batch;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&] {
      httplib::Client client = MakeClient(o.url);
      for (int b; (b = next_batch++) < batches;) {
        std::vector<std::string> alerts;
        for (int i = b * o.batch; i < std::min(o.alerts, (b + 1) * o.batch); ++i) {
          alerts.push_back(AlertJson("n", std::to_string(i)));
        }
        if (!Post(client, BatchJson(alerts))) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const Clock::time_point posted = Clock::now();
  const auto total = static_cast<uint64_t>(o.alerts);
  const bool complete =
      receiver.WaitFor([total](const Receiver& r) { return r.distinct_alerts() >= total; },
                       Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(o.timeout_s)));
  const Clock::time_point t1 = complete ? receiver.last() : Clock::now();
  const double cpu = CpuSeconds(o.pid) - cpu0;
  const double secs = Seconds(t1 - t0);
  uint64_t notifications = 0, alerts = 0, distinct = 0;
  receiver.WaitFor(
      [&](const Receiver& r) {
        notifications = r.notifications();
        alerts = r.alerts();
        distinct = r.distinct_alerts();
        return true;
      },
      Clock::now());
  const double n = static_cast<double>(notifications);
  json out = Rates("notification", n, secs, cpu);
  out.update({{"mode", o.keep_alive ? "notify_keepalive" : "notify"},
              {"alerts_posted", o.alerts},
              {"failed_posts", failed.load()},
              {"post_seconds", Seconds(posted - t0)},
              {"complete", complete},
              {"notifications", notifications},
              {"alerts_received", alerts},
              {"alerts_distinct", distinct}});
  return out;
}

json Latency(const Options& o) {
  Receiver receiver(o.receiver_port, o.keep_alive);
  httplib::Client client = MakeClient(o.url);
  std::vector<double> ms;
  uint64_t lost = 0;
  const double cpu0 = CpuSeconds(o.pid);
  for (int i = 0; i < o.samples; ++i) {
    const std::string id = "lat" + std::to_string(i);
    const std::string body = BatchJson({AlertJson("l", id)});
    const Clock::time_point t0 = Clock::now();
    if (!Post(client, body)) {
      ++lost;
      continue;
    }
    if (!receiver.WaitFor([&id](const Receiver& r) { return r.Seen(id); },
                          Clock::now() + std::chrono::seconds(10))) {
      ++lost;
      continue;
    }
    ms.push_back(Seconds(receiver.SeenAt(id) - t0) * 1e3);
  }
  const double cpu = CpuSeconds(o.pid) - cpu0;
  std::sort(ms.begin(), ms.end());
  auto pct = [&ms](double p) {
    if (ms.empty()) return 0.0;
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
  };
  return {{"mode", "latency"},  {"samples", ms.size()}, {"lost", lost},
          {"p50_ms", pct(0.50)}, {"p99_ms", pct(0.99)}, {"max_ms", ms.empty() ? 0 : ms.back()},
          {"cpu_s", cpu}};
}

int Usage() {
  std::fprintf(stderr,
               "usage: alert_load ingest|notify|latency --url URL --pid PID "
               "[--receiver-port PORT] [options, see bench/alert_load.cc]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  Options o;
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--url") o.url = v;
    else if (flag == "--pid") o.pid = std::atoi(v);
    else if (flag == "--receiver-port") o.receiver_port = std::atoi(v);
    else if (flag == "--groups") o.groups = std::atoi(v);
    else if (flag == "--alerts-per-group") o.alerts_per_group = std::atoi(v);
    else if (flag == "--batch") o.batch = std::atoi(v);
    else if (flag == "--connections") o.connections = std::atoi(v);
    else if (flag == "--warmup") o.warmup_s = std::atof(v);
    else if (flag == "--seconds") o.seconds = std::atof(v);
    else if (flag == "--rate") o.rate = std::atof(v);
    else if (flag == "--alerts") o.alerts = std::atoi(v);
    else if (flag == "--samples") o.samples = std::atoi(v);
    else if (flag == "--timeout") o.timeout_s = std::atof(v);
    else if (flag == "--keep-alive") o.keep_alive = std::atoi(v) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return Usage();
    }
  }
  if (o.url.empty() || o.pid <= 0 || o.batch <= 0 || o.connections <= 0) return Usage();
  json out;
  if (o.mode == "ingest") {
    out = Ingest(o);
  } else if (o.mode == "notify" && o.receiver_port > 0) {
    out = Notify(o);
  } else if (o.mode == "latency" && o.receiver_port > 0) {
    out = Latency(o);
  } else {
    return Usage();
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
