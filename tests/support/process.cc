#include "tests/support/process.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace vigil::testing {

std::string BinDir() { return VIGIL_BIN_DIR; }

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

void RemoveTree(const std::string& dir) {
  if (dir.rfind("/tmp/", 0) != 0) return;  // never anything else
  std::string cmd = "rm -rf '" + dir + "'";
  [[maybe_unused]] int rc = std::system(cmd.c_str());
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// The kernel's ephemeral range: outbound connections take their source ports from it.
std::pair<int, int> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  in >> low >> high;
  return {low, high};
}

bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  // A port handed out here is bound later by a process the test starts. Were it taken
  // from the ephemeral range (bind to 0), any outbound connection made meanwhile — a
  // service dialling its peer at start-up — could take it as its source port and the
  // service would fail with "Address already in use". So pick below (or above) that
  // range, at random so concurrent test processes rarely meet, and never twice here.
  static std::mt19937 rng(static_cast<unsigned>(getpid()) * 2654435761u ^
                          static_cast<unsigned>(std::random_device{}()));
  static std::set<int> handed_out;
  auto [low, high] = EphemeralRange();
  int from = 10000, to = low - 1;
  if (to - from < 4096) from = high + 1, to = 65535;
  std::uniform_int_distribution<int> pick(from, to);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(rng);
    if (handed_out.count(port) || !Bindable(port)) continue;
    handed_out.insert(port);
    return port;
  }
  return 0;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Process::Process(std::vector<std::string> argv, std::string cwd, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (Running()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(5));
  }
}

bool Process::Running() {
  if (pid_ <= 0 || exit_) return false;
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

void Process::Signal(int sig) {
  if (pid_ > 0 && !exit_) kill(pid_, sig);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (exit_) return exit_;
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return exit_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::pair<int, std::string> RunCommand(std::vector<std::string> argv,
                                       std::chrono::milliseconds timeout) {
  std::string log = MakeTempDir("vigil-cmd") + "/out";
  int code;
  {
    Process p(std::move(argv), "", log);
    auto r = p.Wait(timeout);
    code = r ? *r : -1000;
  }
  std::string out = ReadFile(log);
  RemoveTree(log.substr(0, log.rfind('/')));
  return {code, out};
}

std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto res = c.Get(path.c_str());
  if (!res) return {0, ""};
  return {res->status, res->body};
}

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

double MetricSum(int port, const std::string& name) {
  double sum = 0;
  std::istringstream in(HttpGet(port, "/metrics").second);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        (line[name.size()] == ' ' || line[name.size()] == '{')) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

std::pair<int, std::string> HttpPost(int port, const std::string& path, const std::string& body) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto res = c.Post(path.c_str(), body, "application/json");
  if (!res) return {0, ""};
  return {res->status, res->body};
}

}  // namespace vigil::testing
