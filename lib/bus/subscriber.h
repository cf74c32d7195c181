#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "absl/container/flat_hash_map.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "vigil/v1/bus.pb.h"

namespace vigil::bus {

struct Message {
  std::string topic;
  v1::BusHeader header;
  std::string payload;
  // True when messages of this topic from this publisher incarnation were lost just
  // before this one; a subscriber keeping state from the stream should resync.
  bool gap_before = false;
  // True for the first message seen from a new incarnation of a known publisher.
  bool publisher_restarted = false;

  // Parses the payload as T; false if the type does not match or the bytes are bad.
  template <typename T>
  bool ParseAs(T* out) const {
    return header.payload_type() == T::descriptor()->full_name() && out->ParseFromString(payload);
  }
};

// Subscribes to topics on any number of publishers' endpoints. Connecting never fails
// because a publisher is not up yet: ZeroMQ reconnects in the background, so processes may
// start in any order. Detects lost messages from the per-topic sequence numbers.
// Not thread-safe: owned by one loop thread, which polls socket().
class Subscriber {
 public:
  Subscriber(zmq::context_t& ctx, prometheus::Registry& registry, int receive_hwm = 100000);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void Connect(const std::string& endpoint);
  void Subscribe(const std::string& topic_prefix);

  // For zmq::poll.
  zmq::socket_t& socket() { return socket_; }

  // Returns the next well-formed message, or nullopt when none is waiting. Malformed
  // messages are counted (vigil_bus_malformed_total) and skipped.
  std::optional<Message> Receive();

  uint64_t gaps() const { return total_gaps_; }
  uint64_t dropped() const { return total_dropped_; }

 private:
  struct StreamState {
    uint64_t incarnation = 0;
    uint64_t last_sequence = 0;
    prometheus::Counter* received = nullptr;
    prometheus::Counter* gaps = nullptr;
    prometheus::Counter* dropped = nullptr;
  };

  zmq::socket_t socket_;
  absl::flat_hash_map<std::string, StreamState> streams_;  // key: publisher + "\0" + topic
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& gaps_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Counter& malformed_;
  uint64_t total_gaps_ = 0;
  uint64_t total_dropped_ = 0;
};

}  // namespace vigil::bus
