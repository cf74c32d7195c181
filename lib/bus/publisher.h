#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lib/clock/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace vigil::bus {

// Publishes protobuf messages on a bound ZeroMQ PUB socket as two frames: the topic, and
// the vigil.v1.BusHeader (publisher, incarnation, per-topic sequence) with the payload
// (wire.h).
// Not thread-safe: owned and used by one loop thread, as ZeroMQ sockets must be.
class Publisher {
 public:
  // `publisher` names the process ("collector"); it is stable across restarts while the
  // incarnation is new on every construction.
  Publisher(zmq::context_t& ctx, std::string publisher, prometheus::Registry& registry,
            const Clock& clock, int send_hwm = 10000);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Binds e.g. "tcp://127.0.0.1:9601"; port 0 picks a free port. Returns the bound endpoint.
  absl::StatusOr<std::string> Bind(const std::string& endpoint);

  // Sends without blocking. A full high-water mark drops the message (ZeroMQ PUB
  // semantics); subscribers see the sequence gap.
  void Publish(std::string_view topic, const google::protobuf::Message& payload);
  // Before a burst: makes the high-water mark checks see what the subscribers' ends have
  // taken from their queues up to now. While sending, libzmq learns that at most once a
  // millisecond of CPU time, so a burst can overflow a queue already read. Costs a few
  // microseconds (a syscall), so not done on every Publish.
  void RefreshQueueLengths();

  const std::string& endpoint() const { return endpoint_; }
  uint64_t incarnation() const { return incarnation_; }
  // The sequence number of the last message published on `topic` (0 before the first).
  uint64_t sequence(std::string_view topic) const;
  // Messages queued per subscriber before new ones are dropped.
  int send_hwm() const { return send_hwm_; }

 private:
  zmq::socket_t socket_;
  std::string publisher_;
  uint64_t incarnation_;
  const Clock& clock_;
  const int send_hwm_;
  std::string endpoint_;
  absl::flat_hash_map<std::string, uint64_t> sequences_;
  prometheus::Family<prometheus::Counter>& published_;
  absl::flat_hash_map<std::string, prometheus::Counter*> published_by_topic_;
};

}  // namespace vigil::bus
