#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/bus/topics.h"
#include "lib/bus/wire.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::bus {
namespace {

// Waits (bounded) for the next message; ZeroMQ delivers asynchronously.
std::optional<Message> Await(Subscriber& sub, int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{sub.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    if (auto m = sub.Receive()) return m;
  }
  return std::nullopt;
}

// PUB/SUB has a "slow joiner": messages sent before the subscription reaches the
// publisher are lost. Publish probes until one arrives.
void Handshake(Publisher& pub, Subscriber& sub) {
  v1::SampleBatch probe;
  probe.set_source("probe");
  for (int i = 0; i < 200; ++i) {
    pub.Publish("handshake", probe);
    if (Await(sub, 20)) return;
  }
  FAIL() << "no handshake";
}

class BusTest : public ::testing::Test {
 protected:
  zmq::context_t ctx_;
  prometheus::Registry registry_;
  ManualClock clock_{FromMs(1000)};
};

TEST_F(BusTest, DeliversTopicHeaderAndPayload) {
  Publisher pub(ctx_, "collector", registry_, clock_);
  auto ep = pub.Bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_NE(ep->find("tcp://127.0.0.1:"), std::string::npos);
  Subscriber sub(ctx_, registry_);
  sub.Connect(*ep);
  sub.Subscribe("handshake");
  sub.Subscribe(std::string(kTopicSamples));
  Handshake(pub, sub);

  v1::SampleBatch batch;
  batch.set_source("job/instance");
  pub.Publish(kTopicSamples, batch);
  auto m = Await(sub);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->topic, "samples");
  EXPECT_EQ(m->header.publisher(), "collector");
  EXPECT_EQ(m->header.sequence(), 1u);
  EXPECT_EQ(m->header.sent_at_ms(), 1000);
  v1::SampleBatch got;
  ASSERT_TRUE(m->ParseAs(&got));
  EXPECT_EQ(got.source(), "job/instance");
  EXPECT_FALSE(m->gap_before);
}

TEST_F(BusTest, SubscriberMayStartFirst) {
  // Find a free port by binding once, then connect the subscriber before the publisher.
  std::string ep;
  {
    Publisher probe(ctx_, "probe", registry_, clock_);
    ep = *probe.Bind("tcp://127.0.0.1:0");
  }
  Subscriber sub(ctx_, registry_);
  sub.Connect(ep);
  sub.Subscribe("");
  Publisher pub(ctx_, "late", registry_, clock_);
  // ZeroMQ releases the probe's port asynchronously after close: retry until it is free.
  bool bound = false;
  for (int i = 0; i < 100 && !bound; ++i) {
    bound = pub.Bind(ep).ok();
    if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(bound);
  Handshake(pub, sub);
}

TEST_F(BusTest, CountsGapsAndRestartsAndMalformed) {
  zmq::socket_t raw(ctx_, zmq::socket_type::pub);
  raw.bind("tcp://127.0.0.1:*");
  std::string ep = raw.get(zmq::sockopt::last_endpoint);
  Subscriber sub(ctx_, registry_);
  sub.Connect(ep);
  sub.Subscribe("");

  auto send = [&](uint64_t incarnation, uint64_t seq) {
    v1::BusHeader h;
    h.set_publisher("evaluator");
    h.set_incarnation(incarnation);
    h.set_sequence(seq);
    h.set_payload_type("vigil.v1.SampleBatch");
    raw.send(zmq::buffer(std::string_view("alerts")), zmq::send_flags::sndmore);
    raw.send(zmq::buffer(EncodeBody(h, std::string_view())), zmq::send_flags::none);
  };
  // Slow joiner: repeat sequence 1 until it arrives (a repeat is not a gap).
  std::optional<Message> first;
  for (int i = 0; i < 200 && !first; ++i) {
    send(7, 1);
    first = Await(sub, 20);
  }
  ASSERT_TRUE(first.has_value());
  while (Await(sub, 100)) {}  // drain duplicates of the probe

  send(7, 2);
  auto m = Await(sub);
  ASSERT_TRUE(m && !m->gap_before);
  send(7, 5);
  m = Await(sub);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->gap_before);
  EXPECT_EQ(sub.gaps(), 1u);
  EXPECT_EQ(sub.dropped(), 2u);

  send(8, 1);  // the publisher restarted: a new incarnation is not a gap
  m = Await(sub);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->publisher_restarted);
  EXPECT_FALSE(m->gap_before);
  EXPECT_EQ(sub.gaps(), 1u);

  raw.send(zmq::buffer(std::string_view("garbage")), zmq::send_flags::none);
  send(8, 2);
  m = Await(sub);  // the garbage is skipped, the next good message arrives
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->header.sequence(), 2u);
}

TEST(WireTest, ABodyIsItsHeaderThenItsPayload) {
  v1::BusHeader h;
  h.set_publisher("collector");
  h.set_incarnation(0xfedcba9876543210);
  h.set_sequence(300);
  h.set_payload_type("vigil.v1.SampleBatch");
  const std::string payload(70000, 'p');  // a header length of one byte, a long payload
  const std::string body = EncodeBody(h, payload);
  v1::BusHeader got;
  std::string_view got_payload;
  ASSERT_TRUE(DecodeBody(body, &got, &got_payload));
  EXPECT_EQ(got.SerializeAsString(), h.SerializeAsString());
  EXPECT_EQ(got_payload, payload);
  // An empty payload, and a message payload, the same way.
  ASSERT_TRUE(DecodeBody(EncodeBody(h, std::string_view()), &got, &got_payload));
  EXPECT_TRUE(got_payload.empty());
  ASSERT_TRUE(DecodeBody(EncodeBody(h, h), &got, &got_payload));
  EXPECT_EQ(got_payload, h.SerializeAsString());
  // Not bodies: nothing, a header cut short, a length past the end, a length that never
  // ends, a header that does not parse (field 1 with wire type 7).
  const std::string_view header_part(body.data(), body.size() - payload.size());
  for (std::string_view bad : {std::string_view(), header_part.substr(0, header_part.size() - 1),
                               std::string_view("\x05ab"), std::string_view("\xff\xff\xff\xff"),
                               std::string_view("\x02\x0f\xff")}) {
    EXPECT_FALSE(DecodeBody(bad, &got, &got_payload)) << bad.size();
  }
}

}  // namespace
}  // namespace vigil::bus
