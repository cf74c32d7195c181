#include "lib/service/signals.h"

#include <pthread.h>
#include <signal.h>

#include <ctime>

#include "lib/base/thread_name.h"

namespace vigil::service {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a peer closing a socket is an error value, not a death
}

SignalWatcher::SignalWatcher(std::function<void()> on_stop, std::function<void()> on_reload) {
  thread_ = std::thread([this, on_stop = std::move(on_stop), on_reload = std::move(on_reload)] {
    SetThreadName("signals");
    sigset_t set = TerminationSignals();
    while (!done_.load()) {
      timespec timeout{0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&set, nullptr, &timeout);
      if (sig == SIGHUP) on_reload();
      else if (sig == SIGINT || sig == SIGTERM) on_stop();
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  thread_.join();
}

}  // namespace vigil::service
