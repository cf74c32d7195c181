#pragma once

#include <pthread.h>

#include <string>

namespace vigil {

// Names the calling thread as `top -H`, `perf report --sort comm` and /proc/PID/task/*/comm
// show it, so a profile says which of a service's threads spent the time. Linux keeps 15
// bytes; a longer name is cut.
inline void SetThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace vigil
