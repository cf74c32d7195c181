#include "services/notifier/resync.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <vector>

#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {
namespace {

// An evaluator that answers ListAlerts with a fixed set and counts the calls.
class FakeEvaluator final : public v1::Evaluator::Service {
 public:
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    auto* a = resp->add_alerts();
    a->set_fingerprint("0123456789abcdef");
    auto* l = a->add_labels();
    l->set_name("alertname");
    l->set_value("Down");
    a->set_state(v1::ALERT_STATE_FIRING);
    return grpc::Status::OK;
  }
  std::mutex mu;
  int calls = 0;
};

// Collects `done` results; waits for them with a bounded deadline.
struct Results {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<absl::StatusOr<v1::AlertBatch>> got;
  EvaluatorResync::Done Callback() {
    return [this](absl::StatusOr<v1::AlertBatch> b) {
      std::lock_guard<std::mutex> lock(mu);
      got.push_back(std::move(b));
      cv.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; });
  }
};

TEST(EvaluatorResyncTest, FetchesTheEvaluatorsAlertsAsASnapshotBatch) {
  FakeEvaluator evaluator;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&evaluator);
  auto server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  Results results;
  {
    EvaluatorResync resync("127.0.0.1:" + std::to_string(port), std::chrono::seconds(5),
                           results.Callback());
    resync.Request();
    ASSERT_TRUE(results.WaitFor(1));
    resync.Request();  // a second request (a later bus gap) fetches again
    ASSERT_TRUE(results.WaitFor(2));
  }
  for (const auto& r : results.got) {
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->alerts_size(), 1);
    EXPECT_EQ(r->alerts(0).labels(0).value(), "Down");
    EXPECT_TRUE(r->snapshot());
  }
  std::lock_guard<std::mutex> lock(evaluator.mu);
  EXPECT_EQ(evaluator.calls, 2);
  server->Shutdown();
}

TEST(EvaluatorResyncTest, UnreachableEvaluatorIsAnErrorNotAHang) {
  Results results;
  EvaluatorResync resync("127.0.0.1:1", std::chrono::milliseconds(500), results.Callback());
  resync.Request();
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_FALSE(results.got[0].ok());
  EXPECT_NE(std::string(results.got[0].status().message()).find("127.0.0.1:1"),
            std::string::npos);
}

TEST(EvaluatorResyncTest, DestroyedWithoutRequestsJoinsCleanly) {
  Results results;
  { EvaluatorResync resync("127.0.0.1:1", std::chrono::seconds(1), results.Callback()); }
  EXPECT_TRUE(results.got.empty());
}

}  // namespace
}  // namespace vigil::notifier
