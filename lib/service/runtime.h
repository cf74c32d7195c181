#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lib/clock/clock.h"
#include "lib/service/flags.h"
#include "lib/service/task_queue.h"
#include "prometheus/registry.h"
#include "vigil/v1/control.pb.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc
namespace httplib {
class Server;
}  // namespace httplib

namespace vigil::service {

class SignalWatcher;
class ControlServiceImpl;

// What every vigil daemon has around its core: HTTP (/metrics, /-/healthy, /-/ready,
// /-/reload, plus the service's own routes), gRPC (grpc.health.v1, reflection,
// vigil.v1.Control, plus the service's own services), signals (SIGINT/SIGTERM stop,
// SIGHUP reload) and a task queue into the service's loop thread.
//
// Threading: the service's loop thread owns the service's state. HTTP and gRPC handlers
// run on their own threads and reach that state only through tasks() (Call/Post). The
// hooks below are always invoked on the loop thread, from tasks().RunAll().
class Runtime {
 public:
  struct Hooks {
    // Re-reads the configuration; an error keeps the old one.
    std::function<absl::Status()> reload;
    // Fills the service-specific part of GetStatus (stats, problems).
    std::function<void(v1::ServiceStatus*)> status;
  };

  Runtime(std::string service, CommonFlags flags, const Clock& clock = SystemClock());
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::string& service() const { return service_; }
  const CommonFlags& flags() const { return flags_; }
  const Clock& clock() const { return clock_; }
  prometheus::Registry& registry() { return *registry_; }
  TaskQueue& tasks() { return tasks_; }
  // Add routes before Start().
  httplib::Server& http() { return *http_; }
  // Not owned; must outlive the runtime. Add before Start().
  void AddGrpcService(grpc::Service* service) { grpc_services_.push_back(service); }
  void SetHooks(Hooks hooks) { hooks_ = std::move(hooks); }
  // Listed in GetStatus, e.g. ("bus", "tcp://127.0.0.1:9601").
  void AddEndpoint(std::string name, std::string address);

  // Binds HTTP and gRPC (port 0 picks a free port) and starts their threads and the
  // signal watcher. Errors name the address that could not be bound.
  absl::Status Start();

  // Loop-thread helpers.
  bool stopping() const { return stop_.load(); }
  // Asks the loop to leave; from then on tasks().Call fails at once (see TaskQueue::Stop).
  void RequestStop();
  void SetReady(bool ready) { ready_ = ready; }
  // Runs the reload hook, records the outcome for GetStatus and logs it.
  absl::Status Reload();

  // Graceful stop: health NOT_SERVING, then stops gRPC and HTTP (in-flight requests finish).
  void Shutdown();

  const std::string& http_address() const { return http_address_; }
  const std::string& grpc_address() const { return grpc_address_; }

  // Called by the Control service on the loop thread.
  void FillStatus(v1::ServiceStatus* status);

 private:
  void AddDefaultRoutes();

  std::string service_;
  CommonFlags flags_;
  const Clock& clock_;
  TimestampMs started_at_ms_;
  std::shared_ptr<prometheus::Registry> registry_;
  TaskQueue tasks_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  std::vector<grpc::Service*> grpc_services_;
  std::unique_ptr<ControlServiceImpl> control_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<SignalWatcher> signals_;
  Hooks hooks_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
  bool shut_down_ = false;
  std::string http_address_;
  std::string grpc_address_;
  std::vector<v1::Endpoint> endpoints_;
  // Last reload outcome, loop thread only.
  bool last_reload_ok_ = true;
  std::string last_reload_error_;
  TimestampMs last_reload_ms_ = 0;
};

// Splits "host:port" (":port" means all interfaces). False when malformed.
bool SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace vigil::service
