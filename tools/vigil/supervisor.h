#pragma once

#include <cstddef>
#include <vector>

#include "absl/time/time.h"

namespace vigil::cli {

// Decides when each process of a mesh is (re)started and when a stopping mesh gives up
// waiting. A functional core: it is told what happened and when (`now`), and answers what
// to do and when to look again; `vigil up` does the fork/exec/kill/waitpid around it.
//
// Restart policy (like systemd's Restart=always with a growing delay): a process that
// exits is started again after a backoff that starts at initial_backoff and doubles up to
// max_backoff; a run of at least reset_after resets the backoff. While stopping, nothing
// is restarted. Not thread-safe.
class Supervisor {
 public:
  struct Options {
    absl::Duration initial_backoff = absl::Milliseconds(500);
    absl::Duration max_backoff = absl::Seconds(30);
    absl::Duration reset_after = absl::Seconds(30);
    absl::Duration stop_grace = absl::Seconds(10);  // SIGTERM, then SIGKILL after this
  };
  enum class State { kWaiting, kRunning, kStopped };

  // Every process is due to start at `now`.
  Supervisor(size_t processes, Options options, absl::Time now);

  // The processes to start now; they count as running from `now`. (A start that fails is
  // reported as an exit.)
  std::vector<size_t> DueStarts(absl::Time now);
  // Process `i` exited at `now`. Returns the delay before it is started again
  // (InfiniteDuration when stopping).
  absl::Duration OnExited(size_t i, absl::Time now);

  // Stop everything: no more restarts; running processes get stop_grace to exit.
  void Stop(absl::Time now);
  bool stopping() const { return stopping_; }
  // True when stopping, the grace period is over and something still runs: SIGKILL it.
  bool ShouldKill(absl::Time now) const;
  // True when stopping and nothing runs any more.
  bool Done() const;

  // When to call DueStarts/ShouldKill again; InfiniteFuture when nothing is pending.
  absl::Time NextWakeup() const;

  State state(size_t i) const { return procs_[i].state; }
  int restarts(size_t i) const { return procs_[i].restarts; }
  absl::Time restart_at(size_t i) const { return procs_[i].restart_at; }
  size_t size() const { return procs_.size(); }

 private:
  struct Proc {
    State state = State::kWaiting;
    absl::Time started_at = absl::InfinitePast();
    absl::Time restart_at;
    absl::Duration backoff;
    int restarts = 0;
    bool started_once = false;
  };

  Options options_;
  std::vector<Proc> procs_;
  bool stopping_ = false;
  absl::Time kill_at_ = absl::InfiniteFuture();
};

}  // namespace vigil::cli
