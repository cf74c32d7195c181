#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/bus/subscriber.h"
#include "lib/clock/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "services/reporter/config.h"
#include "services/reporter/store.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::reporter {

// The reporter's functional core: records what arrives on the bus (samples, alert
// events, notifications) into the Store and answers questions about it. No sockets,
// threads or clocks: the shell hands it messages and `now`.
//
// Threading: not thread-safe; owned by the reporter's loop thread, like its Store.
class Reporter {
 public:
  Reporter(RolloutConfig config, std::unique_ptr<Store> store, prometheus::Registry& registry);
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Records a run of bus messages in one transaction. Messages of unknown topics or with
  // payloads that do not parse are counted (vigil_reporter_malformed_total) and dropped.
  void OnMessages(std::span<const bus::Message> messages, TimestampMs now);

  // The typed handlers; each must run inside a Store::Transaction (OnMessages opens one).
  // An InvalidArgument means the input was malformed; other errors come from the store.
  absl::Status OnSamples(const v1::SampleBatch& batch, TimestampMs now);
  absl::Status OnAlerts(const v1::AlertBatch& batch, TimestampMs now);
  absl::Status OnNotification(const v1::Notification& n, TimestampMs now);
  // Needs `who` and exactly one of fingerprint and group_key, as the notifier's API does.
  absl::Status OnAcknowledgement(const v1::Acknowledgement& ack, TimestampMs now);

  // Timers; nothing yet (checkpoints and retention come later).
  void Tick(TimestampMs now) {}

  const RolloutConfig& config() const { return config_; }
  void SetConfig(RolloutConfig config) { config_ = std::move(config); }

  absl::StatusOr<v1::ListAlertEventsResponse> ListAlertEvents(
      const v1::ListAlertEventsRequest& req);
  absl::StatusOr<v1::ListAcknowledgementsResponse> ListAcknowledgements(
      const v1::ListAcknowledgementsRequest& req);
  // Fills stats (samples_stored, series, alert_events_stored, notifications_stored,
  // acknowledgements_stored, malformed_messages) and problems.
  void FillStatus(v1::ServiceStatus* status) const;

  Store& store() { return *store_; }
  uint64_t malformed() const { return malformed_; }
  uint64_t store_errors() const { return store_errors_; }

 private:
  absl::Status Dispatch(const bus::Message& m, TimestampMs now);

  RolloutConfig config_;
  std::unique_ptr<Store> store_;
  prometheus::Family<prometheus::Counter>& received_family_;
  prometheus::Counter& malformed_counter_;
  prometheus::Counter& store_error_counter_;
  uint64_t malformed_ = 0;
  uint64_t store_errors_ = 0;
  std::string last_store_error_;
};

}  // namespace vigil::reporter
