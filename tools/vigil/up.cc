#include "tools/vigil/up.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/format.h"
#include "lib/clock/clock.h"
#include "lib/service/signals.h"
#include "tools/vigil/mesh.h"
#include "tools/vigil/supervisor.h"

namespace vigil::cli {
namespace {

void WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout gone: nothing to do about it
    s.remove_prefix(static_cast<size_t>(n));
  }
}

void Say(std::string_view line) { WriteAll(STDOUT_FILENO, StrCat("[vigil] ", line, "\n")); }

// One child's stdout or stderr: lines are copied to `dest` with "[name] " in front.
struct Stream {
  int fd;
  int dest;
  std::string prefix;
  std::string partial;

  // False at end of file.
  bool Drain() {
    char buf[65536];
    while (true) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno == EAGAIN;
      if (n == 0) {
        if (!partial.empty()) WriteAll(dest, StrCat(prefix, partial, "\n"));
        partial.clear();
        return false;
      }
      partial.append(buf, static_cast<size_t>(n));
      size_t start = 0, nl;
      std::string out;
      while ((nl = partial.find('\n', start)) != std::string::npos) {
        out += prefix;
        out.append(partial, start, nl - start + 1);
        start = nl + 1;
      }
      partial.erase(0, start);
      if (partial.size() > 65536) {  // a very long line without newline: pass it on
        out += StrCat(prefix, partial, "\n");
        partial.clear();
      }
      WriteAll(dest, out);
    }
  }
};

const char* SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGKILL:
      return "SIGKILL";
    default:
      return strsignal(sig);
  }
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return StrCat("was killed by ", SignalName(WTERMSIG(status)));
  return StrCat("stopped with wait status ", status);
}

std::string FormatSeconds(absl::Duration d) {
  return fmt::format("{:.1f}s", absl::ToDoubleSeconds(d));
}

// The I/O shell around Supervisor: fork/exec, pipes, signals, waitpid.
class Up {
 public:
  explicit Up(Mesh mesh) : mesh_(std::move(mesh)) {}

  int Run() {
    // Nothing else runs in this process, so the signals are read from a signalfd in the
    // loop rather than by service::SignalWatcher's thread.
    service::BlockTerminationSignals();
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    devnull_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (signal_fd_ < 0 || devnull_ < 0) {
      fprintf(stderr, "error: signalfd or /dev/null: %s\n", strerror(errno));
      return 1;
    }
    pids_.assign(mesh_.processes.size(), -1);
    Supervisor::Options opts;
    opts.initial_backoff = mesh_.initial_backoff;
    opts.max_backoff = mesh_.max_backoff;
    Supervisor sup(mesh_.processes.size(), opts, Now());

    Say(StrCat("mesh ", mesh_.file, ": ", mesh_.processes.size(),
               mesh_.processes.size() == 1 ? " process" : " processes", ", binaries from ",
               mesh_.bin_dir, ", running in ", mesh_.working_dir));
    for (size_t i : sup.DueStarts(Now())) Start(i, sup);
    PrintTable();
    Say(
        StrCat("Ctrl-C (SIGINT/SIGTERM) stops them all, SIGHUP reloads them all; "
               "state: vigil status --config ",
               mesh_.file));

    bool killed = false;
    while (!sup.Done() || !streams_.empty()) {
      if (sup.Done()) {
        // Everything exited; give the pipes a moment to reach end of file, then go.
        if (drain_deadline_ == absl::InfiniteFuture()) drain_deadline_ = Now() + absl::Seconds(1);
        if (Now() >= drain_deadline_) break;
      }
      absl::Time wake = std::min(sup.NextWakeup(), drain_deadline_);
      int timeout_ms = 1000;
      if (wake != absl::InfiniteFuture()) {
        timeout_ms = static_cast<int>(
            std::clamp<int64_t>(absl::ToInt64Milliseconds(wake - Now()) + 1, 0, 1000));
      }
      std::vector<pollfd> fds;
      fds.push_back({signal_fd_, POLLIN, 0});
      for (const auto& s : streams_) fds.push_back({s->fd, POLLIN, 0});
      poll(fds.data(), fds.size(), timeout_ms);

      if (fds[0].revents & POLLIN) HandleSignals(sup);
      for (size_t k = fds.size(); k-- > 1;) {
        if (fds[k].revents == 0) continue;
        if (!streams_[k - 1]->Drain()) {
          close(streams_[k - 1]->fd);
          streams_.erase(streams_.begin() + static_cast<ptrdiff_t>(k - 1));
        }
      }
      Reap(sup);
      for (size_t i : sup.DueStarts(Now())) Start(i, sup);
      if (!killed && sup.ShouldKill(Now())) {
        killed = true;
        Say("processes still running after 10s: sending SIGKILL");
        SignalAll(SIGKILL);
      }
    }
    for (const auto& s : streams_) close(s->fd);
    Say("all processes stopped");
    return 0;
  }

 private:
  static absl::Time Now() { return SystemClock().Now(); }

  void PrintTable() {
    size_t w = 4;
    for (const ProcessSpec& p : mesh_.processes) w = std::max(w, p.name.size());
    Say(fmt::format("{:<{}}  {:>8}  {:<22}  {}", "NAME", w, "PID", "HTTP", "GRPC"));
    for (size_t i = 0; i < mesh_.processes.size(); ++i) {
      const ProcessSpec& p = mesh_.processes[i];
      Say(fmt::format("{:<{}}  {:>8}  {:<22}  {}", p.name, w,
                      pids_[i] > 0 ? std::to_string(pids_[i]) : "-", p.http.empty() ? "-" : p.http,
                      p.grpc.empty() ? "-" : p.grpc));
    }
  }

  void Start(size_t i, Supervisor& sup) {
    const ProcessSpec& p = mesh_.processes[i];
    pid_t pid = Spawn(p);
    if (pid < 0) {
      absl::Duration delay = sup.OnExited(i, Now());
      Say(StrCat(p.name, ": cannot start: ", strerror(errno), "; retrying in ",
                 FormatSeconds(delay)));
      return;
    }
    pids_[i] = pid;
    if (sup.restarts(i) > 0) {
      Say(StrCat(p.name, " restarted (pid ", pid, ", restart #", sup.restarts(i), ")"));
    }
  }

  // fork/exec of one process, in its own process group, stdout/stderr into pipes.
  pid_t Spawn(const ProcessSpec& p) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      return -1;
    }
    std::vector<std::string> args = {p.binary};
    args.insert(args.end(), p.args.begin(), p.args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string exec_error = StrCat("cannot execute ", p.path, ": ");
    std::string chdir_error = StrCat("cannot enter ", mesh_.working_dir, ": ");

    pid_t pid = fork();
    if (pid == 0) {
      // Child: only async-signal-safe calls from here to exec.
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      dup2(devnull_, STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      if (chdir(mesh_.working_dir.c_str()) != 0) {
        const char* e = strerror(errno);
        (void)!write(STDERR_FILENO, chdir_error.data(), chdir_error.size());
        (void)!write(STDERR_FILENO, e, strlen(e));
        _exit(127);
      }
      execv(p.path.c_str(), argv.data());
      const char* e = strerror(errno);
      (void)!write(STDERR_FILENO, exec_error.data(), exec_error.size());
      (void)!write(STDERR_FILENO, e, strlen(e));
      _exit(127);
    }
    int saved = errno;
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
      close(out[0]);
      close(err[0]);
      errno = saved;
      return -1;
    }
    setpgid(pid, pid);  // also here, so signals sent right away reach the group
    for (int fd : {out[0], err[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::string prefix = StrCat("[", p.name, "] ");
    streams_.push_back(std::make_unique<Stream>(Stream{out[0], STDOUT_FILENO, prefix, ""}));
    streams_.push_back(std::make_unique<Stream>(Stream{err[0], STDERR_FILENO, prefix, ""}));
    return pid;
  }

  void SignalAll(int sig) {
    for (pid_t pid : pids_) {
      if (pid > 0) kill(-pid, sig);
    }
  }

  void HandleSignals(Supervisor& sup) {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGHUP) {
        Say("SIGHUP: asking every process to reload");
        SignalAll(SIGHUP);
      } else if (sig == SIGINT || sig == SIGTERM) {
        if (sup.stopping()) {
          Say(StrCat(SignalName(sig), " again: sending SIGKILL"));
          SignalAll(SIGKILL);
        } else {
          Say(StrCat(SignalName(sig), ": stopping every process (SIGTERM)"));
          sup.Stop(Now());
          SignalAll(SIGTERM);
        }
      }
    }
  }

  void Reap(Supervisor& sup) {
    while (true) {
      siginfo_t info{};
      // Peek first: while the child is a zombie its pid (= its process group id) cannot be
      // reused, so whatever it left behind in its group can be killed safely.
      if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
      pid_t pid = info.si_pid;
      kill(-pid, SIGKILL);
      int status = 0;
      if (waitpid(pid, &status, 0) != pid) return;
      for (size_t i = 0; i < pids_.size(); ++i) {
        if (pids_[i] != pid) continue;
        pids_[i] = -1;
        const ProcessSpec& p = mesh_.processes[i];
        absl::Duration delay = sup.OnExited(i, Now());
        if (sup.stopping()) {
          Say(StrCat(p.name, " (pid ", pid, ") ", DescribeExit(status)));
        } else {
          Say(StrCat(p.name, " (pid ", pid, ") ", DescribeExit(status), "; restarting in ",
                     FormatSeconds(delay)));
        }
      }
    }
  }

  Mesh mesh_;
  int signal_fd_ = -1;
  int devnull_ = -1;
  std::vector<pid_t> pids_;
  std::vector<std::unique_ptr<Stream>> streams_;
  absl::Time drain_deadline_ = absl::InfiniteFuture();
};

}  // namespace

CLI::App* AddUpCommand(CLI::App& app, UpOptions* options) {
  CLI::App* up = app.add_subcommand("up",
                                    "Start the mesh: every process of a mesh file, "
                                    "restarted when it exits");
  up->add_option("--config", options->config_file, "mesh file (YAML)")->required();
  return up;
}

int RunUp(const UpOptions& options) {
  auto mesh = LoadMesh(options.config_file, options.default_bin_dir);
  if (mesh.ok()) {
    if (auto s = ResolveBinaries(&*mesh); !s.ok()) mesh = s;
  }
  if (!mesh.ok()) {
    fprintf(stderr, "error: %s\n", std::string(mesh.status().message()).c_str());
    return 1;
  }
  return Up(*std::move(mesh)).Run();
}

}  // namespace vigil::cli
