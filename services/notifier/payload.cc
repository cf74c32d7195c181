#include "services/notifier/payload.h"

#include <nlohmann/json.hpp>

#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

using Json = nlohmann::ordered_json;

Json LabelsJson(const labels::Labels& ls) {
  Json out = Json::object();
  for (const labels::Label& l : ls) out[l.name] = l.value;
  return out;
}

// The labels every alert shares with the same value.
labels::Labels Common(const std::vector<Alert>& alerts, labels::Labels Alert::*field) {
  if (alerts.empty()) return {};
  std::vector<labels::Label> out;
  for (const labels::Label& l : alerts.front().*field) {
    bool shared = true;
    for (const Alert& a : alerts) {
      if (!(a.*field).Has(l.name) || (a.*field).Get(l.name) != l.value) {
        shared = false;
        break;
      }
    }
    if (shared) out.push_back(l);
  }
  return labels::Labels(std::move(out));
}

}  // namespace

std::string GroupStatus(const std::vector<Alert>& alerts, TimestampMs now) {
  for (const Alert& a : alerts) {
    if (!a.Resolved(now)) return "firing";
  }
  return "resolved";
}

std::string WebhookMessage(const MessageData& data) {
  size_t keep = data.alerts.size();
  if (data.max_alerts > 0 && keep > static_cast<size_t>(data.max_alerts)) {
    keep = static_cast<size_t>(data.max_alerts);
  }
  Json alerts = Json::array();
  for (size_t i = 0; i < keep; ++i) {
    const Alert& a = data.alerts[i];
    const bool resolved = a.Resolved(data.now);
    Json j;
    j["status"] = resolved ? "resolved" : "firing";
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = LabelsJson(a.annotations);
    j["startsAt"] = FormatGoTime(a.starts_at_ms);
    j["endsAt"] = FormatGoTime(resolved ? a.ends_at_ms : 0);
    j["generatorURL"] = a.generator_url;
    j["fingerprint"] = a.FingerprintHex();
    alerts.push_back(std::move(j));
  }
  Json msg;
  msg["receiver"] = data.receiver;
  msg["status"] = GroupStatus(data.alerts, data.now);
  msg["alerts"] = std::move(alerts);
  msg["groupLabels"] = LabelsJson(data.group_labels);
  msg["commonLabels"] = LabelsJson(Common(data.alerts, &Alert::labels));
  msg["commonAnnotations"] = LabelsJson(Common(data.alerts, &Alert::annotations));
  msg["externalURL"] = data.external_url;
  msg["version"] = "4";
  msg["groupKey"] = data.group_key;
  msg["truncatedAlerts"] = data.alerts.size() - keep;
  return msg.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace vigil::notifier
