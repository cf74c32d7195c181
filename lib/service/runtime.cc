#include "lib/service/runtime.h"

#include <httplib.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "lib/base/thread_name.h"
#include "lib/service/control_service.h"
#include "lib/service/signals.h"
#include "prometheus/text_serializer.h"

namespace vigil::service {

using namespace std::chrono_literals;

bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  if (host->empty()) *host = "0.0.0.0";
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port < 65536;
}

Runtime::Runtime(std::string service, CommonFlags flags, const Clock& clock)
    : service_(std::move(service)),
      flags_(std::move(flags)),
      clock_(clock),
      started_at_ms_(clock.NowMs()),
      registry_(std::make_shared<prometheus::Registry>()),
      http_(std::make_unique<httplib::Server>()) {}

Runtime::~Runtime() { Shutdown(); }

void Runtime::AddEndpoint(std::string name, std::string address) {
  v1::Endpoint e;
  e.set_name(std::move(name));
  e.set_address(std::move(address));
  endpoints_.push_back(std::move(e));
}

void Runtime::RequestStop() {
  stop_ = true;
  // Handlers waiting for the loop (which is about to leave) answer at once, so that
  // Shutdown, which waits for them, does not wait out their timeouts.
  tasks_.Stop();
  tasks_.Post([] {});  // wake the loop
}

void Runtime::AddDefaultRoutes() {
  std::string name = service_;
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    prometheus::TextSerializer serializer;
    res.set_content(serializer.Serialize(registry_->Collect()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  http_->Get("/-/healthy", [name](const httplib::Request&, httplib::Response& res) {
    res.set_content(StrCat("vigil ", name, " is Healthy.\n"), "text/plain");
  });
  auto ready = [this, name](const httplib::Request&, httplib::Response& res) {
    if (ready_ && !stop_) {
      res.set_content(StrCat("vigil ", name, " is Ready.\n"), "text/plain");
    } else {
      res.status = 503;
      res.set_content("Service Unavailable\n", "text/plain");
    }
  };
  http_->Get("/-/ready", ready);
  // A content-reader handler: httplib then does not insist on a Content-Length, so
  // `curl -X POST .../-/reload` (no body), as Prometheus users type it, works.
  http_->Post("/-/reload", [this](const httplib::Request&, httplib::Response& res,
                                  const httplib::ContentReader&) {
    auto result = tasks_.Call([this] { return Reload(); }, 30s);
    if (!result) {
      res.status = 503;
      res.set_content("service loop busy\n", "text/plain");
    } else if (!result->ok()) {
      res.status = 500;
      res.set_content(StrCat("failed to reload config: ", result->message(), "\n"),
                      "text/plain");
    }
  });
}

absl::Status Runtime::Start() {
  AddDefaultRoutes();
  // httplib's default also sets SO_REUSEPORT, which would let two processes share a port
  // silently; a busy port must be an error.
  http_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  std::string host;
  int port = 0;
  if (!SplitHostPort(flags_.web_listen_address, &host, &port)) {
    return absl::InvalidArgumentError(
        StrCat("--web.listen-address: invalid address \"", flags_.web_listen_address, "\""));
  }
  if (port == 0) {
    port = http_->bind_to_any_port(host);
    if (port < 0) port = 0;
  } else if (!http_->bind_to_port(host, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", flags_.web_listen_address, " (HTTP)"));
  }
  http_address_ = StrCat(host, ":", port);
  http_thread_ = std::thread([this] {
    SetThreadName("http-listen");
    http_->listen_after_bind();
  });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(flags_.grpc_listen_address, grpc::InsecureServerCredentials(),
                           &grpc_port);
  control_ = std::make_unique<ControlServiceImpl>(*this);
  builder.RegisterService(control_.get());
  for (grpc::Service* s : grpc_services_) builder.RegisterService(s);
  grpc_ = builder.BuildAndStart();
  if (!grpc_ || grpc_port == 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", flags_.grpc_listen_address, " (gRPC)"));
  }
  std::string grpc_host;
  int ignored;
  SplitHostPort(flags_.grpc_listen_address, &grpc_host, &ignored);
  grpc_address_ = StrCat(grpc_host, ":", grpc_port);
  grpc_->GetHealthCheckService()->SetServingStatus(true);

  AddEndpoint("http", http_address_);
  AddEndpoint("grpc", grpc_address_);
  signals_ = std::make_unique<SignalWatcher>(
      [this] {
        spdlog::info("received stop signal, shutting down");
        RequestStop();
      },
      // Reload() logs a failure and records it for GetStatus; the old configuration stays.
      [this] { tasks_.Post([this] { Reload().IgnoreError(); }); });
  spdlog::info("{} listening: http={} grpc={}", service_, http_address_, grpc_address_);
  return absl::OkStatus();
}

absl::Status Runtime::Reload() {
  absl::Status s = hooks_.reload ? hooks_.reload() : absl::OkStatus();
  last_reload_ok_ = s.ok();
  last_reload_error_ = std::string(s.message());
  last_reload_ms_ = clock_.NowMs();
  if (s.ok()) {
    spdlog::info("configuration reloaded from {}", flags_.config_file);
  } else {
    spdlog::error("reload failed, keeping the old configuration: {}", s.message());
  }
  return s;
}

void Runtime::FillStatus(v1::ServiceStatus* status) {
  status->set_service(service_);
  status->set_version(VIGIL_VERSION);
  status->set_started_at_ms(started_at_ms_);
  status->set_pid(getpid());
  status->set_ready(ready_ && !stop_);
  status->set_config_file(flags_.config_file);
  status->set_last_reload_ok(last_reload_ok_);
  status->set_last_reload_error(last_reload_error_);
  status->set_last_reload_ms(last_reload_ms_);
  for (const v1::Endpoint& e : endpoints_) *status->add_endpoints() = e;
  if (hooks_.status) hooks_.status(status);
}

void Runtime::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stop_ = true;
  tasks_.Stop();  // the handlers finishing below do not wait for a loop that has left
  if (grpc_) {
    grpc_->GetHealthCheckService()->SetServingStatus(false);
    grpc_->Shutdown(std::chrono::system_clock::now() + 2s);
  }
  if (http_thread_.joinable()) {
    http_->stop();
    http_thread_.join();
  }
  signals_.reset();
}

}  // namespace vigil::service
