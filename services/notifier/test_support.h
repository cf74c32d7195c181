#pragma once

// For the notifier's cross-process tests (header-only, test code only): a webhook that
// records every request with its Idempotency-Key, a status probe, and alert events as the
// evaluator publishes them.

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {

class RecordingWebhook {
 public:
  struct Request {
    std::string status;
    std::string alertname;  // the group label, when grouped by alertname
    std::string key;        // Idempotency-Key
    bool accepted;          // answered 200
  };

  RecordingWebhook() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      std::lock_guard<std::mutex> lock(mu_);
      Request r{j.value("status", ""), "", req.get_header_value("Idempotency-Key"), !failing_};
      if (j.contains("groupLabels")) r.alertname = j["groupLabels"].value("alertname", "");
      requests_.push_back(r);
      res.status = failing_ ? 500 : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordingWebhook() {
    server_.stop();
    thread_.join();
  }
  RecordingWebhook(const RecordingWebhook&) = delete;
  RecordingWebhook& operator=(const RecordingWebhook&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void SetFailing(bool failing) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = failing;
  }
  // Notifications accepted with this status for this alert.
  int Accepted(const std::string& status, const std::string& alertname) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const Request& r : requests_)
      n += r.accepted && r.status == status && r.alertname == alertname;
    return n;
  }
  // Accepted requests by idempotency key.
  std::map<std::string, int> AcceptedByKey() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, int> out;
    for (const Request& r : requests_) out[r.key] += r.accepted ? 1 : 0;
    return out;
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  bool failing_ = false;
  std::vector<Request> requests_;
};

// One stat of the notifier's Control.GetStatus at 127.0.0.1:grpc_port; -1 when it does not
// answer or has no such stat.
inline double NotifierStat(int grpc_port, const std::string& key) {
  auto stub = v1::Control::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                                       grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::ServiceStatus s;
  if (!stub->GetStatus(&ctx, v1::GetStatusRequest(), &s).ok()) return -1;
  auto it = s.stats().find(key);
  return it == s.stats().end() ? -1 : it->second;
}

// A firing alert event for `ls` as the evaluator publishes it, valid for `valid_for_ms`.
inline void AddFiringEvent(const labels::Labels& ls, TimestampMs now, TimestampMs valid_for_ms,
                           v1::AlertBatch* batch) {
  v1::AlertEvent* e = batch->add_alerts();
  for (const labels::LabelView& l : ls) {
    v1::Label* p = e->add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  e->set_fingerprint(ls.FingerprintHex());
  e->set_state(v1::ALERT_STATE_FIRING);
  e->set_active_at_ms(now);
  e->set_fired_at_ms(now);
  e->set_valid_until_ms(now + valid_for_ms);
  e->set_event_time_ms(now);
}

}  // namespace vigil::notifier
