#include "lib/bus/publisher.h"

#include <random>

#include "absl/status/status.h"
#include "lib/base/format.h"
#include "lib/bus/wire.h"
#include "vigil/v1/bus.pb.h"

namespace vigil::bus {
namespace {

uint64_t NewIncarnation() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return v == 0 ? 1 : v;
}

}  // namespace

Publisher::Publisher(zmq::context_t& ctx, std::string publisher, prometheus::Registry& registry,
                     const Clock& clock, int send_hwm)
    : socket_(ctx, zmq::socket_type::pub),
      publisher_(std::move(publisher)),
      incarnation_(NewIncarnation()),
      clock_(clock),
      send_hwm_(send_hwm),
      published_(prometheus::BuildCounter()
                     .Name("vigil_bus_published_total")
                     .Help("Messages published on the bus, by topic.")
                     .Register(registry)) {
  socket_.set(zmq::sockopt::sndhwm, send_hwm);
  socket_.set(zmq::sockopt::linger, 200);
}

absl::StatusOr<std::string> Publisher::Bind(const std::string& endpoint) {
  std::string ep = endpoint;
  if (ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) {
    ep = ep.substr(0, ep.size() - 1) + "*";  // ZeroMQ's spelling of "any free port"
  }
  try {
    socket_.bind(ep);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return absl::UnavailableError(StrCat("bus: cannot bind ", endpoint, ": ", e.what()));
  }
  return endpoint_;
}

void Publisher::Publish(std::string_view topic, const google::protobuf::Message& payload) {
  std::string topic_key(topic);
  uint64_t seq = ++sequences_[topic_key];
  v1::BusHeader header;
  header.set_publisher(publisher_);
  header.set_incarnation(incarnation_);
  header.set_sequence(seq);
  header.set_sent_at_ms(clock_.NowMs());
  header.set_payload_type(payload.GetTypeName());
  const std::string body = EncodeBody(header, payload);
  try {
    socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(zmq::buffer(body), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    return;  // context terminating; the sequence gap tells subscribers
  }
  auto [it, inserted] = published_by_topic_.try_emplace(topic_key, nullptr);
  if (inserted) it->second = &published_.Add({{"topic", topic_key}});
  it->second->Increment();
}

void Publisher::RefreshQueueLengths() {
  // Reading ZMQ_EVENTS makes libzmq process its pending commands, the readers' counts
  // among them, without the throttle that send applies.
  try {
    static_cast<void>(socket_.get(zmq::sockopt::events));
  } catch (const zmq::error_t&) {
    // context terminating: the next Publish fails alike
  }
}

uint64_t Publisher::sequence(std::string_view topic) const {
  auto it = sequences_.find(std::string(topic));
  return it == sequences_.end() ? 0 : it->second;
}

}  // namespace vigil::bus
