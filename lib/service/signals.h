#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace vigil::service {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts
// afterwards. Call first thing in main, before any library starts a thread, so the
// signals reach only the SignalWatcher.
void BlockTerminationSignals();

// A thread that waits for SIGINT/SIGTERM (stop) and SIGHUP (reload) and calls back.
class SignalWatcher {
 public:
  SignalWatcher(std::function<void()> on_stop, std::function<void()> on_reload);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace vigil::service
