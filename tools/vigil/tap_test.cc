#include "tools/vigil/tap.h"

#include <gtest/gtest.h>

#include "lib/bus/publisher.h"
#include "lib/codec/samples.h"
#include "tools/vigil/test_process.h"
#include "vigil/v1/alerts.pb.h"

namespace vigil::cli {
namespace {

bus::Message Wrap(const google::protobuf::Message& payload, const std::string& topic) {
  bus::Message m;
  m.topic = topic;
  m.header.set_publisher("collector");
  m.header.set_sequence(7);
  m.header.set_payload_type(payload.GetTypeName());
  m.payload = payload.SerializeAsString();
  return m;
}

TEST(TapTest, SamplesPrintInExpositionFormWithStaleMarkers) {
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "a\"b"}, {"path", "C:\\x\n"}}), 1000, 1);
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "c"}}), 2000, codec::StaleNaN());
  b.Add(labels::Labels({{"__name__", "x"}}), 3000, 1e8);
  auto lines = FormatBusMessage(Wrap(b.Take(), "samples"), {});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "up{job=\"a\\\"b\",path=\"C:\\\\x\\n\"} 1 1000");
  EXPECT_EQ(lines[1], "up{job=\"c\"} stale 2000");
  EXPECT_EQ(lines[2], "x 1e+08 3000");
}

TEST(TapTest, MatchFiltersSeries) {
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "a"}}), 1, 1);
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "b"}}), 1, 0);
  auto matchers = ParseSeriesSelector("up{job=~\"b|z\"}");
  ASSERT_TRUE(matchers.ok());
  auto lines = FormatBusMessage(Wrap(b.Take(), "samples"), *matchers);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "up{job=\"b\"} 0 1");
  EXPECT_FALSE(ParseSeriesSelector("up == 1").ok());
}

TEST(TapTest, OtherMessagesAreOneJsonObjectALine) {
  v1::AlertBatch batch;
  auto* a = batch.add_alerts();
  a->set_fingerprint("abc");
  a->set_state(v1::ALERT_STATE_FIRING);
  auto lines = FormatBusMessage(Wrap(batch, "alerts"), {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "{\"topic\":\"alerts\",\"publisher\":\"collector\",\"sequence\":7,\"type\":"
            "\"vigil.v1.AlertBatch\",\"payload\":{\"alerts\":[{\"fingerprint\":\"abc\","
            "\"state\":\"ALERT_STATE_FIRING\"}]}}");
}

TEST(TapTest, BinaryPrintsWhatIsPublishedAndStopsAtCount) {
  zmq::context_t ctx;
  prometheus::Registry registry;
  bus::Publisher pub(ctx, "collector", registry, SystemClock());
  auto ep = pub.Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(ep.ok());
  std::string tmp = ::testing::TempDir() + "/tap-" + std::to_string(getpid());
  testing_util::Child tap({std::string(VIGIL_BIN_DIR) + "/vigil", "tap", "--bus.connect", *ep,
                           "--count", "2", "--match", "up"},
                          tmp + ".out", tmp + ".err");
  codec::SampleBatchBuilder b;
  b.Add(labels::Labels({{"__name__", "up"}, {"job", "a"}}), 5, 1);
  b.Add(labels::Labels({{"__name__", "other"}}), 5, 1);
  v1::SampleBatch batch = b.Take();
  // Publish until the tap has seen two matching lines and exited (slow joiner).
  int status = -1;
  ASSERT_TRUE(testing_util::WaitFor([&] {
    pub.Publish("samples", batch);
    status = tap.Wait(std::chrono::milliseconds(20));
    return status != -1;
  })) << tap.err();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tap.err();
  EXPECT_EQ(tap.out(), "up{job=\"a\"} 1 5\nup{job=\"a\"} 1 5\n");
}

}  // namespace
}  // namespace vigil::cli
