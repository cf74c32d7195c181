#pragma once

// Test helpers: run the real `vigil` binary as a child process and watch files it writes.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace vigil::cli::testing_util {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A child process whose stdout and stderr go to files.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& out_path, const std::string& err_path)
      : out_path_(out_path), err_path_(err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

  // The wait status, or -1 if the child is still running after `timeout`.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (exited_) return status_;
    bool done = WaitFor([&] { return waitpid(pid_, &status_, WNOHANG) == pid_; }, timeout);
    exited_ = done;
    return done ? status_ : -1;
  }

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  bool exited_ = false;
  int status_ = 0;
};

// Runs `vigil args...` to completion and returns (exit code, stdout).
inline std::pair<int, std::string> RunVigil(std::vector<std::string> args,
                                            const std::string& tmp_prefix) {
  args.insert(args.begin(), std::string(VIGIL_BIN_DIR) + "/vigil");
  Child child(args, tmp_prefix + ".out", tmp_prefix + ".err");
  int status = child.Wait();
  int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return {code, child.out() + child.err()};
}

}  // namespace vigil::cli::testing_util
