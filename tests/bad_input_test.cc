// Bad input: missing or malformed configuration and rule files stop a service at once
// with file:line:col and what is wrong; a target that is unreachable or serves garbage
// becomes up=0 with the reason visible in `vigil status`; bus messages the evaluator
// cannot use are dropped and counted; and nothing crashes.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/topics.h"
#include "lib/bus/wire.h"
#include "lib/clock/clock.h"
#include "lib/codec/samples.h"
#include "prometheus/registry.h"
#include "tests/grpc_clients.h"
#include "tests/support/process.h"
#include "vigil/v1/bus.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::testing {
namespace {

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("vigil-badinput"); }
  void TearDown() override { RemoveTree(dir_); }

  // Runs a service on free ports with the given config; returns (exit code, output).
  std::pair<int, std::string> RunService(const std::string& name, const std::string& config) {
    std::vector<std::string> argv = {StrCat(BinDir(), "/vigil-", name), "--config.file=" + config,
                                     StrCat("--web.listen-address=127.0.0.1:", FreePort()),
                                     StrCat("--grpc.listen-address=127.0.0.1:", FreePort()),
                                     StrCat("--bus.publish-address=tcp://127.0.0.1:", FreePort())};
    if (name == "notifier" || name == "reporter")
      argv.push_back("--storage.path=" + dir_ + "/data");
    return RunCommand(argv, std::chrono::seconds(20));
  }

  std::string dir_;
};

TEST_F(BadInputTest, MissingConfigExitsNonZeroNamingTheFile) {
  for (const char* name : {"collector", "evaluator", "notifier", "reporter"}) {
    auto [code, out] = RunService(name, dir_ + "/absent.yml");
    EXPECT_NE(code, 0) << name;
    EXPECT_NE(out.find(dir_ + "/absent.yml"), std::string::npos) << name << ": " << out;
  }
}

TEST_F(BadInputTest, MalformedConfigsNameFileLineColumn) {
  WriteFile(dir_ + "/prometheus.yml", "global:\n  scrape_interval: 5x\n");
  auto [code, out] = RunService("collector", dir_ + "/prometheus.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/prometheus.yml:2:20: \"scrape_interval\": not a valid duration"),
            std::string::npos)
      << out;

  WriteFile(dir_ + "/prom-rules.yml", "rule_files: [rules.yml]\n");
  WriteFile(dir_ + "/rules.yml",
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n");
  std::tie(code, out) = RunService("evaluator", dir_ + "/prom-rules.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/rules.yml: 5:15: group \"g\", rule 1, \"A\": could not parse"),
            std::string::npos)
      << out;

  WriteFile(dir_ + "/alertmanager.yml", "route:\n  receiver: nowhere\nreceivers: [{name: x}]\n");
  std::tie(code, out) = RunService("notifier", dir_ + "/alertmanager.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/alertmanager.yml:"), std::string::npos) << out;
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;

  WriteFile(dir_ + "/rollout.yml", "rollout:\n  name: x\n  bogus: 1\n");
  std::tie(code, out) = RunService("reporter", dir_ + "/rollout.yml");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(dir_ + "/rollout.yml:3:3:"), std::string::npos) << out;
}

TEST_F(BadInputTest, GarbageAndUnreachableTargetsAreUpZeroWithTheReasonInStatus) {
  httplib::Server garbage;
  garbage.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>not metrics</body></html>\n", "text/html");
  });
  int garbage_port = garbage.bind_to_any_port("127.0.0.1");
  std::thread server([&] { garbage.listen_after_bind(); });
  int dead_port = FreePort();
  WriteFile(
      dir_ + "/prometheus.yml",
      StrCat("global: {scrape_interval: 1s}\nscrape_configs:\n",
             "  - job_name: garbage\n    static_configs: [{targets: ['127.0.0.1:", garbage_port,
             "']}]\n", "  - job_name: dead\n    static_configs: [{targets: ['127.0.0.1:", dead_port,
             "']}]\n"));
  int grpc_port = FreePort();
  Process collector({BinDir() + "/vigil-collector", "--config.file=prometheus.yml",
                     StrCat("--web.listen-address=127.0.0.1:", FreePort()),
                     StrCat("--grpc.listen-address=127.0.0.1:", grpc_port),
                     StrCat("--bus.publish-address=tcp://127.0.0.1:", FreePort())},
                    dir_, dir_ + "/collector.log");
  std::string address = StrCat("127.0.0.1:", grpc_port);
  ASSERT_TRUE(WaitFor([&] { return Stat(address, "targets_down") == 2; })) << collector.Log();

  auto [code, out] = RunCommand({BinDir() + "/vigil", "status", "--grpc", address});
  EXPECT_EQ(code, 0) << out;  // the collector itself is healthy
  EXPECT_NE(out.find(StrCat("target http://127.0.0.1:", garbage_port,
                            "/metrics (job garbage) is down: parse error: line 1, column 1")),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find(StrCat("target http://127.0.0.1:", dead_port, "/metrics (job dead) is down: Get")),
      std::string::npos)
      << out;
  EXPECT_TRUE(collector.Running());
  collector.Signal(SIGTERM);
  EXPECT_EQ(collector.Wait(), 0) << collector.Log();
  garbage.stop();
  server.join();
}

// The bus messages the evaluator cannot use are dropped and counted, one by one, in the
// loop that parses each batch into an arena on a block kept across batches: frames that
// are not a bus message (vigil_bus_malformed_total), a payload of another type, bytes that
// are not a SampleBatch, a batch whose label references run past its symbols
// (vigil_evaluator_batches_invalid_total). The batches after them arrive whole, among
// them one larger than the arena's first block (1 MB), and the evaluator stays up.
TEST_F(BadInputTest, MalformedBusMessagesAreCountedAndTheOnesAfterThemArrive) {
  WriteFile(dir_ + "/prometheus.yml", "global: {evaluation_interval: 1m}\n");
  zmq::context_t ctx;
  prometheus::Registry registry;
  bus::Publisher publisher(ctx, "bad-input", registry, SystemClock());
  auto bus_ep = publisher.Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(bus_ep.ok()) << bus_ep.status();
  // A second publisher sending raw frames: what bus::Publisher would never send.
  zmq::socket_t raw(ctx, zmq::socket_type::pub);
  raw.bind("tcp://127.0.0.1:0");
  const std::string raw_ep = raw.get(zmq::sockopt::last_endpoint);
  uint64_t raw_sequence = 0;
  auto send_raw = [&](std::string_view payload_type, const std::string& payload) {
    v1::BusHeader header;
    header.set_publisher("raw");
    header.set_incarnation(7);
    header.set_sequence(++raw_sequence);
    header.set_payload_type(std::string(payload_type));
    raw.send(zmq::buffer(bus::kTopicSamples), zmq::send_flags::sndmore);
    raw.send(zmq::buffer(bus::EncodeBody(header, payload)), zmq::send_flags::none);
  };

  const int port = FreePort();
  Process evaluator({BinDir() + "/vigil-evaluator", "--config.file=prometheus.yml",
                     "--storage.min-retention=1h", StrCat("--web.listen-address=127.0.0.1:", port),
                     StrCat("--grpc.listen-address=127.0.0.1:", FreePort()),
                     "--bus.publish-address=tcp://127.0.0.1:0", "--bus.connect=" + *bus_ep,
                     "--bus.connect=" + raw_ep},
                    dir_, dir_ + "/evaluator.log");

  const int64_t t0 = (SystemClock().NowMs() / 1000) * 1000 - 60'000;
  auto batch_of = [&](const std::string& name, int series, int points) {
    codec::SampleBatchBuilder b;
    for (int i = 0; i < series; ++i) {
      std::vector<codec::Point> ps;
      for (int k = 0; k < points; ++k) ps.push_back({t0 + k * 1000, i * 1000.0 + k});
      b.AddSeries(labels::Labels({{"__name__", name}, {"i", StrCat(i)}}), ps);
    }
    return b.Take();
  };
  auto value_of = [&](const std::string& query) {
    auto [code, body] = HttpGet(
        port, StrCat("/api/v1/query?query=", UrlEncode(query), "&time=", (t0 + 29'000) / 1000));
    return code == 200 ? body : StrCat("HTTP ", code, " ", body);
  };

  // Until the evaluator has joined both publishers, what they send is lost: send a probe
  // on each until it is queryable (repeats are refused as duplicates).
  const v1::SampleBatch probe = batch_of("probe", 1, 30);
  ASSERT_TRUE(WaitFor(
      [&] {
        publisher.Publish(bus::kTopicSamples, probe);
        send_raw(v1::SampleBatch::descriptor()->full_name(),
                 batch_of("raw_probe", 1, 30).SerializeAsString());
        return value_of("count(probe)+count(raw_probe)").find("\"2\"") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << value_of("probe") << evaluator.Log();
  const double invalid_before = MetricSum(port, "vigil_evaluator_batches_invalid_total");
  const double malformed_before = MetricSum(port, "vigil_bus_malformed_total");

  // A body whose header length runs past its end: not a bus message.
  raw.send(zmq::buffer(bus::kTopicSamples), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("x"), zmq::send_flags::none);
  // Three frames (topic, header, payload), not two: not one either.
  raw.send(zmq::buffer(bus::kTopicSamples), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\x08\x01"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("x"), zmq::send_flags::none);
  // A payload of another type on the samples topic.
  v1::BusHeader other;
  other.set_publisher("not a batch");
  publisher.Publish(bus::kTopicSamples, other);
  // Bytes that do not parse: field 1 with wire type 7, which does not exist.
  send_raw(v1::SampleBatch::descriptor()->full_name(), std::string("\x0f\xff\xff", 3));
  // Then a good batch from the same raw publisher: ZeroMQ orders messages per connection,
  // so once it has arrived the two bad raw messages before it have been counted.
  send_raw(v1::SampleBatch::descriptor()->full_name(),
           batch_of("raw_after", 2, 30).SerializeAsString());
  // A good series, then one whose label reference runs past the batch's two symbols: the
  // whole batch is refused, the good series too.
  v1::SampleBatch past_symbols;
  past_symbols.add_symbols("__name__");
  past_symbols.add_symbols("broken");
  for (uint32_t value_ref : {1u, 5u}) {
    v1::Series* series = past_symbols.add_series();
    series->add_label_refs(0);
    series->add_label_refs(value_ref);
    v1::Sample* sample = series->add_samples();
    sample->set_timestamp_ms(t0 + 29'000);
    sample->set_value(1);
  }
  publisher.Publish(bus::kTopicSamples, past_symbols);
  // Then good ones: 6,000 series of 30 points (several MB parsed), and a small one.
  publisher.Publish(bus::kTopicSamples, batch_of("big", 6000, 30));
  publisher.Publish(bus::kTopicSamples, batch_of("after", 3, 30));

  EXPECT_TRUE(WaitFor(
      [&] { return value_of("count(after)+count(raw_after)").find("\"5\"") != std::string::npos; },
      std::chrono::seconds(30)))
      << value_of("count(after)") << value_of("count(raw_after)") << evaluator.Log();
  EXPECT_NE(value_of("count(big)").find("\"6000\""), std::string::npos) << value_of("count(big)");
  // Every point of the big batch arrived: 30 per series in the closed minute, and the
  // newest one's values.
  EXPECT_NE(value_of("sum(count_over_time(big[1m]))").find("\"180000\""), std::string::npos)
      << value_of("sum(count_over_time(big[1m]))");
  EXPECT_NE(value_of("sum(big)")
                .find(StrCat("\"", int64_t{29} * 6000 + int64_t{1000} * 5999 * 6000 / 2, "\"")),
            std::string::npos)
      << value_of("sum(big)");
  EXPECT_EQ(MetricSum(port, "vigil_evaluator_batches_invalid_total") - invalid_before, 3);
  EXPECT_EQ(MetricSum(port, "vigil_bus_malformed_total") - malformed_before, 2);
  EXPECT_NE(value_of("broken").find("\"result\":[]"), std::string::npos) << value_of("broken");
  EXPECT_TRUE(evaluator.Running()) << evaluator.Log();
}

}  // namespace
}  // namespace vigil::testing
