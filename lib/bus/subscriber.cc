#include "lib/bus/subscriber.h"

#include "lib/base/format.h"
#include "lib/bus/wire.h"

namespace vigil::bus {

Subscriber::Subscriber(zmq::context_t& ctx, prometheus::Registry& registry, int receive_hwm)
    : socket_(ctx, zmq::socket_type::sub),
      received_(prometheus::BuildCounter()
                    .Name("vigil_bus_received_total")
                    .Help("Messages received from the bus, by publisher and topic.")
                    .Register(registry)),
      gaps_(prometheus::BuildCounter()
                .Name("vigil_bus_gaps_total")
                .Help("Jumps in a publisher's sequence numbers: one or more messages lost.")
                .Register(registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("vigil_bus_dropped_total")
                   .Help("Messages lost on the bus, from sequence gaps.")
                   .Register(registry)),
      malformed_(prometheus::BuildCounter()
                     .Name("vigil_bus_malformed_total")
                     .Help("Bus messages rejected as malformed.")
                     .Register(registry)
                     .Add({})) {
  socket_.set(zmq::sockopt::rcvhwm, receive_hwm);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_.set(zmq::sockopt::linger, 0);
}

void Subscriber::Connect(const std::string& endpoint) { socket_.connect(endpoint); }

void Subscriber::Subscribe(const std::string& topic_prefix) {
  socket_.set(zmq::sockopt::subscribe, topic_prefix);
}

std::optional<Message> Subscriber::Receive() {
  while (true) {
    std::vector<zmq::message_t> frames;
    while (true) {
      zmq::message_t frame;
      zmq::recv_result_t r;
      try {
        r = socket_.recv(frame, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
      } catch (const zmq::error_t&) {
        return std::nullopt;
      }
      if (!r) return std::nullopt;
      bool more = frame.more();
      frames.push_back(std::move(frame));
      if (!more) break;
    }
    Message msg;
    std::string_view payload;
    if (frames.size() != 2 || !DecodeBody(frames[1].to_string_view(), &msg.header, &payload) ||
        msg.header.sequence() == 0 || msg.header.publisher().empty()) {
      malformed_.Increment();
      continue;
    }
    msg.topic = frames[0].to_string();
    msg.payload = std::string(payload);

    std::string key = StrCat(msg.header.publisher(), std::string_view("\0", 1), msg.topic);
    auto [it, inserted] = streams_.try_emplace(key);
    StreamState& st = it->second;
    if (inserted) {
      std::map<std::string, std::string> labels = {{"publisher", msg.header.publisher()},
                                                   {"topic", msg.topic}};
      st.received = &received_.Add(labels);
      st.gaps = &gaps_.Add(labels);
      st.dropped = &dropped_.Add(labels);
    }
    if (st.incarnation != msg.header.incarnation()) {
      msg.publisher_restarted = st.incarnation != 0;
      st.incarnation = msg.header.incarnation();
    } else if (msg.header.sequence() > st.last_sequence + 1) {
      uint64_t lost = msg.header.sequence() - st.last_sequence - 1;
      msg.gap_before = true;
      st.gaps->Increment();
      st.dropped->Increment(static_cast<double>(lost));
      ++total_gaps_;
      total_dropped_ += lost;
    }
    st.last_sequence = msg.header.sequence();
    st.received->Increment();
    return msg;
  }
}

}  // namespace vigil::bus
