#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/service/flags.h"

namespace vigil::service {
class Runtime;
}  // namespace vigil::service

namespace vigil::reporter {

// The reporter's I/O shell: config file, SQLite under --storage.path, the bus, gRPC
// (Control, vigil.v1.Reporter) and HTTP around the Reporter core, driven by one loop
// thread (the one that calls Run).
class ReporterApp {
 public:
  // Loads the config and opens the store; binds nothing yet. Errors read
  // "file:line:col: what" for the config, or name the path that could not be opened.
  static absl::StatusOr<std::unique_ptr<ReporterApp>> Create(const service::CommonFlags& flags,
                                                             const Clock& clock = SystemClock());
  ~ReporterApp();
  ReporterApp(const ReporterApp&) = delete;
  ReporterApp& operator=(const ReporterApp&) = delete;

  // Binds HTTP, gRPC and the bus publisher, connects the subscriber.
  absl::Status Start();
  // Runs the loop until a stop signal or RequestStop(), then shuts down.
  void Run();
  // Any thread.
  void RequestStop();

  service::Runtime& runtime();

 private:
  struct State;
  explicit ReporterApp(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// What main() calls: Create, Start, Run; returns the process exit code.
int RunReporter(const service::CommonFlags& flags);

}  // namespace vigil::reporter
