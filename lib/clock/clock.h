#pragma once

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vigil {

// Milliseconds since the Unix epoch: Prometheus's timestamp unit, used throughout vigil.
using TimestampMs = int64_t;

inline TimestampMs ToMs(absl::Time t) { return absl::ToUnixMillis(t); }
inline absl::Time FromMs(TimestampMs ms) { return absl::FromUnixMillis(ms); }

// The only way a vigil core learns the time. Daemons use SystemClock(); tests and the
// offline tools (`vigil test rules`, backtests) use a ManualClock in virtual time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  TimestampMs NowMs() const { return ToMs(Now()); }
};

// The process-wide real clock. Thread-safe.
Clock& SystemClock();

// A clock that only moves when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil
