#pragma once

// Helpers for cross-process tests: temp dirs, free ports, child processes, polling.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vigil::testing {

// Where the project's binaries are (build/bin).
std::string BinDir();
// A fresh directory under /tmp, and its removal.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& dir);
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

// A loopback TCP port that was free a moment ago, outside the kernel's ephemeral range
// so no outbound connection can take it before the test's process binds it.
int FreePort();

// Polls `condition` every 20 ms until it holds or `timeout` passes. For awaiting real
// processes; never a substitute for an injected clock in unit tests.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A child process running `argv` in `cwd`, stdout and stderr appended to `log_path`.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string cwd, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // The exit code, -(signal) when killed by a signal, or nullopt while still running
  // after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string Log() const { return ReadFile(log_path_); }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_;
};

// Runs a command to completion: (exit code, stdout+stderr).
std::pair<int, std::string> RunCommand(
    std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Simple HTTP to 127.0.0.1:port: status code (0 when unreachable) and body.
std::pair<int, std::string> HttpGet(int port, const std::string& path);
std::pair<int, std::string> HttpPost(int port, const std::string& path,
                                     const std::string& body = "");

// Percent-encodes all but RFC 3986's unreserved characters (a query parameter's value).
std::string UrlEncode(const std::string& s);

// The sum of a metric's samples over all its label sets in the /metrics of 127.0.0.1:port
// (0 when it has none or the port does not answer).
double MetricSum(int port, const std::string& name);

}  // namespace vigil::testing
