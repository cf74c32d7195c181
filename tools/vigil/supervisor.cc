#include "tools/vigil/supervisor.h"

#include <algorithm>

namespace vigil::cli {

Supervisor::Supervisor(size_t processes, Options options, absl::Time now)
    : options_(options), procs_(processes) {
  for (Proc& p : procs_) {
    p.restart_at = now;
    p.backoff = options_.initial_backoff;
  }
}

std::vector<size_t> Supervisor::DueStarts(absl::Time now) {
  std::vector<size_t> due;
  if (stopping_) return due;
  for (size_t i = 0; i < procs_.size(); ++i) {
    Proc& p = procs_[i];
    if (p.state != State::kWaiting || p.restart_at > now) continue;
    if (p.started_once) ++p.restarts;
    p.started_once = true;
    p.state = State::kRunning;
    p.started_at = now;
    due.push_back(i);
  }
  return due;
}

absl::Duration Supervisor::OnExited(size_t i, absl::Time now) {
  Proc& p = procs_[i];
  if (stopping_) {
    p.state = State::kStopped;
    return absl::InfiniteDuration();
  }
  if (now - p.started_at >= options_.reset_after) p.backoff = options_.initial_backoff;
  absl::Duration delay = p.backoff;
  p.backoff = std::min(p.backoff * 2, options_.max_backoff);
  p.state = State::kWaiting;
  p.restart_at = now + delay;
  return delay;
}

void Supervisor::Stop(absl::Time now) {
  if (stopping_) return;
  stopping_ = true;
  kill_at_ = now + options_.stop_grace;
  for (Proc& p : procs_) {
    if (p.state == State::kWaiting) p.state = State::kStopped;
  }
}

bool Supervisor::ShouldKill(absl::Time now) const {
  return stopping_ && now >= kill_at_ && !Done();
}

bool Supervisor::Done() const {
  if (!stopping_) return false;
  return std::none_of(procs_.begin(), procs_.end(),
                      [](const Proc& p) { return p.state == State::kRunning; });
}

absl::Time Supervisor::NextWakeup() const {
  if (stopping_) return Done() ? absl::InfiniteFuture() : kill_at_;
  absl::Time next = absl::InfiniteFuture();
  for (const Proc& p : procs_) {
    if (p.state == State::kWaiting) next = std::min(next, p.restart_at);
  }
  return next;
}

}  // namespace vigil::cli
