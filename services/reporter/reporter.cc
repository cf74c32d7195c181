#include "services/reporter/reporter.h"

#include <spdlog/spdlog.h>

#include "lib/base/format.h"
#include "lib/bus/topics.h"
#include "lib/codec/samples.h"

namespace vigil::reporter {

Reporter::Reporter(RolloutConfig config, std::unique_ptr<Store> store,
                   prometheus::Registry& registry)
    : config_(std::move(config)),
      store_(std::move(store)),
      received_family_(prometheus::BuildCounter()
                           .Name("vigil_reporter_messages_total")
                           .Help("Bus messages recorded by the reporter, by topic.")
                           .Register(registry)),
      malformed_counter_(prometheus::BuildCounter()
                             .Name("vigil_reporter_malformed_total")
                             .Help("Bus messages dropped because they did not parse.")
                             .Register(registry)
                             .Add({})),
      store_error_counter_(prometheus::BuildCounter()
                               .Name("vigil_reporter_store_errors_total")
                               .Help("Batches of messages the store failed to record.")
                               .Register(registry)
                               .Add({})) {}

absl::Status Reporter::OnSamples(const v1::SampleBatch& batch, TimestampMs now) {
  auto series = codec::DecodeSampleBatch(batch);
  if (!series.ok()) return series.status();
  for (const codec::DecodedSeries& s : *series) {
    if (s.labels.Get(labels::kMetricName).empty()) {
      return absl::InvalidArgumentError("series without a metric name");
    }
  }
  for (const codec::DecodedSeries& s : *series) {
    auto id = store_->SeriesId(s.labels);
    if (!id.ok()) return id.status();
    for (const codec::Point& p : s.points) {
      if (auto r = store_->AddSample(*id, p.t, p.v); !r.ok()) return r.status();
    }
  }
  return absl::OkStatus();
}

absl::Status Reporter::OnAlerts(const v1::AlertBatch& batch, TimestampMs now) {
  for (const v1::AlertEvent& e : batch.alerts()) {
    if (e.fingerprint().empty()) return absl::InvalidArgumentError("alert without fingerprint");
  }
  for (const v1::AlertEvent& e : batch.alerts()) {
    if (auto r = store_->AddAlertEvent(e, now); !r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status Reporter::OnNotification(const v1::Notification& n, TimestampMs now) {
  return store_->AddNotification(n, now).status();
}

absl::Status Reporter::OnAcknowledgement(const v1::Acknowledgement& ack, TimestampMs now) {
  if (ack.who().empty()) return absl::InvalidArgumentError("acknowledgement without who");
  if (ack.fingerprint().empty() == ack.group_key().empty()) {
    return absl::InvalidArgumentError(
        "acknowledgement needs exactly one of fingerprint and group_key");
  }
  return store_->AddAcknowledgement(ack, now).status();
}

absl::Status Reporter::Dispatch(const bus::Message& m, TimestampMs now) {
  // "samples" also matches "samples.recorded" (prefix subscription): both carry batches.
  if (m.topic.starts_with(bus::kTopicSamples)) {
    v1::SampleBatch batch;
    if (!m.ParseAs(&batch)) return absl::InvalidArgumentError("bad SampleBatch");
    return OnSamples(batch, now);
  }
  if (m.topic == bus::kTopicAlerts) {
    v1::AlertBatch batch;
    if (!m.ParseAs(&batch)) return absl::InvalidArgumentError("bad AlertBatch");
    return OnAlerts(batch, now);
  }
  if (m.topic == bus::kTopicNotifications) {
    v1::Notification n;
    if (!m.ParseAs(&n)) return absl::InvalidArgumentError("bad Notification");
    return OnNotification(n, now);
  }
  if (m.topic == bus::kTopicAcknowledgements) {
    v1::Acknowledgement ack;
    if (!m.ParseAs(&ack)) return absl::InvalidArgumentError("bad Acknowledgement");
    return OnAcknowledgement(ack, now);
  }
  return absl::InvalidArgumentError(StrCat("unexpected topic ", m.topic));
}

void Reporter::OnMessages(std::span<const bus::Message> messages, TimestampMs now) {
  if (messages.empty()) return;
  Store::Transaction txn(*store_);
  absl::Status status = txn.status();
  for (const bus::Message& m : messages) {
    if (!status.ok()) break;
    // Handlers validate a whole message before storing any of it, so a malformed one
    // leaves no partial rows behind.
    absl::Status s = Dispatch(m, now);
    if (absl::IsInvalidArgument(s)) {
      ++malformed_;
      malformed_counter_.Increment();
      spdlog::debug("dropping malformed {} message from {}: {}", m.topic, m.header.publisher(),
                    s.message());
      continue;
    }
    status = s;
    if (s.ok()) received_family_.Add({{"topic", m.topic}}).Increment();
  }
  if (status.ok()) status = txn.Commit();
  if (!status.ok()) {
    ++store_errors_;
    store_error_counter_.Increment();
    last_store_error_ = std::string(status.message());
    spdlog::error("cannot record {} bus messages: {}", messages.size(), status.message());
  }
}

absl::StatusOr<v1::ListAlertEventsResponse> Reporter::ListAlertEvents(
    const v1::ListAlertEventsRequest& req) {
  auto events = store_->ListAlertEvents(req.alertname(), req.limit());
  if (!events.ok()) return events.status();
  v1::ListAlertEventsResponse resp;
  for (v1::StoredAlertEvent& e : *events) *resp.add_events() = std::move(e);
  return resp;
}

absl::StatusOr<v1::ListAcknowledgementsResponse> Reporter::ListAcknowledgements(
    const v1::ListAcknowledgementsRequest& req) {
  auto acks = store_->ListAcknowledgements(req.limit());
  if (!acks.ok()) return acks.status();
  v1::ListAcknowledgementsResponse resp;
  for (v1::Acknowledgement& a : *acks) *resp.add_acknowledgements() = std::move(a);
  return resp;
}

void Reporter::FillStatus(v1::ServiceStatus* status) const {
  auto& stats = *status->mutable_stats();
  stats["samples_stored"] = static_cast<double>(store_->sample_count());
  stats["series"] = static_cast<double>(store_->series_count());
  stats["alert_events_stored"] = static_cast<double>(store_->alert_event_count());
  stats["notifications_stored"] = static_cast<double>(store_->notification_count());
  stats["acknowledgements_stored"] = static_cast<double>(store_->acknowledgement_count());
  stats["malformed_messages"] = static_cast<double>(malformed_);
  stats["store_errors"] = static_cast<double>(store_errors_);
  if (!last_store_error_.empty()) {
    status->add_problems(StrCat("the store failed to record messages: ", last_store_error_));
  }
}

}  // namespace vigil::reporter
