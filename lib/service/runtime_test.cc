#include "lib/service/runtime.h"

#include <httplib.h>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/synchronization/notification.h"

#include "lib/service/signals.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::service {
namespace {

CommonFlags TestFlags() {
  CommonFlags f;
  f.config_file = "test.yml";
  f.web_listen_address = "127.0.0.1:0";
  f.grpc_listen_address = "127.0.0.1:0";
  return f;
}

// Runs a minimal loop thread, as a service would.
class LoopThread {
 public:
  explicit LoopThread(Runtime& rt) : rt_(rt), thread_([this] { Run(); }) {}
  ~LoopThread() {
    rt_.RequestStop();
    thread_.join();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void Run() {
    while (!rt_.stopping()) {
      pollfd p{rt_.tasks().fd(), POLLIN, 0};
      poll(&p, 1, 100);
      rt_.tasks().RunAll();
    }
  }
  Runtime& rt_;
  std::thread thread_;
};

TEST(RuntimeTest, ServesHealthReadyMetricsReloadAndControl) {
  ManualClock clock(FromMs(42000));
  Runtime rt("testsvc", TestFlags(), clock);
  std::atomic<int> reloads{0};
  std::thread::id reload_thread;
  bool fail_reload = false;
  rt.SetHooks({.reload =
                   [&]() -> absl::Status {
                     reload_thread = std::this_thread::get_id();
                     ++reloads;
                     if (fail_reload) return absl::InvalidArgumentError("x.yml:1:1: bad");
                     return absl::OkStatus();
                   },
               .status = [](v1::ServiceStatus* s) { (*s->mutable_stats())["things"] = 3; }});
  ASSERT_TRUE(rt.Start().ok());
  LoopThread loop(rt);

  std::string host;
  int port;
  ASSERT_TRUE(SplitHostPort(rt.http_address(), &host, &port));
  httplib::Client http(host, port);
  auto res = http.Get("/-/healthy");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = http.Get("/-/ready");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  rt.SetReady(true);
  EXPECT_EQ(http.Get("/-/ready")->status, 200);
  res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);

  EXPECT_EQ(http.Post("/-/reload")->status, 200);
  EXPECT_EQ(reloads.load(), 1);
  EXPECT_EQ(reload_thread, loop.id());
  fail_reload = true;
  res = http.Post("/-/reload");
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("x.yml:1:1: bad"), std::string::npos);

  auto channel = grpc::CreateChannel(rt.grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Control::NewStub(channel);
  grpc::ClientContext ctx;
  v1::ServiceStatus status;
  ASSERT_TRUE(stub->GetStatus(&ctx, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.service(), "testsvc");
  EXPECT_TRUE(status.ready());
  EXPECT_EQ(status.started_at_ms(), 42000);
  EXPECT_FALSE(status.last_reload_ok());
  EXPECT_EQ(status.stats().at("things"), 3);
  EXPECT_EQ(status.endpoints_size(), 2);
}

// Asks the server-reflection service for its service list, as `grpcurl list` does. Debian
// ships no reflection stubs, so the tiny request is encoded by hand: field 7
// (list_services), an empty string.
std::string ReflectionListServices(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok = false;
  auto step = [&](intptr_t want) {
    return cq.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == want;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (!step(1)) return "";
  const char request[] = {0x3a, 0x00};
  grpc::Slice slice(request, sizeof request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  if (!step(2)) return "";
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  if (!step(3)) return "";
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  std::vector<grpc::Slice> slices;
  (void)in.Dump(&slices);
  std::string bytes;
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return bytes;
}

// A handler waiting for the loop answers at once when the service stops (Shutdown waits
// for handlers, and the loop is leaving), and a Call made after that fails at once.
TEST(RuntimeTest, CallsToTheLoopFailAtOnceWhenItStops) {
  Runtime rt("testsvc", TestFlags());
  // No loop runs: the Call would wait its hour but for the stop.
  std::optional<int> answer = 0;
  absl::Notification answered;
  std::thread handler([&] {
    answer = rt.tasks().Call([] { return 1; }, std::chrono::hours(1));
    answered.Notify();
  });
  rt.RequestStop();
  // Not a time limit on the behaviour: only so that a failure does not hang the test.
  if (!answered.WaitForNotificationWithTimeout(absl::Minutes(1))) rt.tasks().RunAll();
  handler.join();
  EXPECT_EQ(answer, std::nullopt);
  bool ran = false;
  EXPECT_EQ(rt.tasks().Call([&ran] { return ran = true; }, std::chrono::hours(1)),
            std::nullopt);
  rt.tasks().RunAll();
  EXPECT_FALSE(ran);  // not even posted
}

TEST(RuntimeTest, ServerReflectionListsTheServices) {
  Runtime rt("testsvc", TestFlags());
  ASSERT_TRUE(rt.Start().ok());
  std::string listing = ReflectionListServices(rt.grpc_address());
  EXPECT_NE(listing.find("vigil.v1.Control"), std::string::npos);
  EXPECT_NE(listing.find("grpc.health.v1.Health"), std::string::npos);
}

TEST(RuntimeTest, BusyPortIsAClearError) {
  Runtime first("a", TestFlags());
  ASSERT_TRUE(first.Start().ok());
  CommonFlags f = TestFlags();
  f.web_listen_address = first.http_address();
  Runtime second("b", f);
  absl::Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(first.http_address()), std::string::npos);
}

}  // namespace
}  // namespace vigil::service
