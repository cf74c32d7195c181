#include "services/notifier/api_alerts.h"

#include <nlohmann/json.hpp>

#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "services/notifier/config.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

using Json = nlohmann::json;

absl::StatusOr<labels::Labels> ReadLabels(const Json& obj, const char* field, bool names) {
  std::vector<labels::Label> out;
  if (!obj.contains(field) || obj[field].is_null()) return labels::Labels();
  const Json& m = obj[field];
  if (!m.is_object()) return absl::InvalidArgumentError(StrCat(field, " must be an object"));
  for (const auto& [k, v] : m.items()) {
    if (names && !labels::IsValidLabelName(k)) {
      return absl::InvalidArgumentError(StrCat("invalid label name \"", k, "\""));
    }
    if (!v.is_string()) {
      return absl::InvalidArgumentError(StrCat(field, ".", k, " must be a string"));
    }
    out.push_back({k, v.get<std::string>()});
  }
  return labels::Labels(std::move(out));
}

absl::StatusOr<TimestampMs> ReadTime(const Json& obj, const char* field) {
  if (!obj.contains(field) || obj[field].is_null()) return 0;
  if (!obj[field].is_string())
    return absl::InvalidArgumentError(StrCat(field, " must be a string"));
  const std::string s = obj[field].get<std::string>();
  if (s.empty()) return 0;
  auto t = ParseRfc3339(s);
  if (!t.ok()) return absl::InvalidArgumentError(StrCat(field, ": ", t.status().message()));
  return *t;
}

absl::Status ParseOne(const Json& j, TimestampMs now, v1::AlertEvent* e) {
  if (!j.is_object()) return absl::InvalidArgumentError("alert must be an object");
  auto ls = ReadLabels(j, "labels", true);
  if (!ls.ok()) return ls.status();
  if (ls->empty()) return absl::InvalidArgumentError("at least one label pair required");
  auto annotations = ReadLabels(j, "annotations", false);
  if (!annotations.ok()) return annotations.status();
  auto starts = ReadTime(j, "startsAt");
  if (!starts.ok()) return starts.status();
  auto ends = ReadTime(j, "endsAt");
  if (!ends.ok()) return ends.status();
  TimestampMs starts_at = *starts == 0 ? now : *starts;
  if (*ends != 0 && *ends < starts_at) {
    return absl::InvalidArgumentError("start time must be before end time");
  }
  std::string generator;
  if (j.contains("generatorURL") && !j["generatorURL"].is_null()) {
    if (!j["generatorURL"].is_string()) {
      return absl::InvalidArgumentError("generatorURL must be a string");
    }
    generator = j["generatorURL"].get<std::string>();
  }
  for (const labels::Label& l : *ls) {
    v1::Label* p = e->add_labels();
    p->set_name(l.name);
    p->set_value(l.value);
  }
  for (const labels::Label& l : *annotations) {
    v1::Label* p = e->add_annotations();
    p->set_name(l.name);
    p->set_value(l.value);
  }
  e->set_fingerprint(ls->FingerprintHex());
  e->set_active_at_ms(starts_at);
  e->set_fired_at_ms(starts_at);
  if (*ends != 0 && *ends <= now) {
    e->set_state(v1::ALERT_STATE_INACTIVE);
    e->set_resolved_at_ms(*ends);
  } else {
    e->set_state(v1::ALERT_STATE_FIRING);
    e->set_valid_until_ms(*ends);
  }
  e->set_generator_url(generator);
  e->set_event_time_ms(now);
  e->set_source("api");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::AlertBatch> ParsePostableAlerts(const std::string& body, TimestampMs now) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("invalid JSON body");
  if (!doc.is_array()) return absl::InvalidArgumentError("body must be a JSON array of alerts");
  v1::AlertBatch batch;
  for (size_t i = 0; i < doc.size(); ++i) {
    if (auto s = ParseOne(doc[i], now, batch.add_alerts()); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("alert ", i, ": ", s.message()));
    }
  }
  return batch;
}

namespace {

using Ordered = nlohmann::ordered_json;

Ordered KeyValues(const labels::Labels& ls) {
  Ordered out = Ordered::object();
  for (const labels::Label& l : ls) out[l.name] = l.value;
  return out;
}

std::string Dump(const Ordered& j) {
  return j.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

Ordered GettableAlerts(const std::vector<RoutedAlert>& alerts) {
  const auto& kv = KeyValues;
  Ordered out = Ordered::array();
  for (const RoutedAlert& r : alerts) {
    const Alert& a = r.alert;
    Ordered j;
    j["annotations"] = kv(a.annotations);
    j["endsAt"] = FormatGoTime(a.ends_at_ms);
    j["fingerprint"] = a.FingerprintHex();
    Ordered receivers = Ordered::array();
    for (const std::string& name : r.receivers) receivers.push_back({{"name", name}});
    j["receivers"] = std::move(receivers);
    j["startsAt"] = FormatGoTime(a.starts_at_ms);
    const bool suppressed = !r.inhibited_by.empty() || !r.silenced_by.empty();
    j["status"] = {{"inhibitedBy", r.inhibited_by},
                   {"silencedBy", r.silenced_by},
                   {"state", suppressed ? "suppressed" : "active"}};
    j["updatedAt"] = FormatGoTime(a.updated_at_ms);
    j["generatorURL"] = a.generator_url;
    j["labels"] = kv(a.labels);
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<bool> ParseBool(const std::string& name, const std::string& value) {
  if (value == "true" || value == "1" || value == "True" || value == "TRUE" || value == "t") {
    return true;
  }
  if (value == "false" || value == "0" || value == "False" || value == "FALSE" || value == "f") {
    return false;
  }
  return absl::InvalidArgumentError(StrCat(name, ": invalid boolean \"", value, "\""));
}

}  // namespace

std::string GettableAlertsJson(const std::vector<RoutedAlert>& alerts) {
  return Dump(GettableAlerts(alerts));
}

bool AlertFilter::Keep(const RoutedAlert& a) const {
  const bool is_silenced = !a.silenced_by.empty();
  const bool is_inhibited = !a.inhibited_by.empty();
  if (!active && !is_silenced && !is_inhibited) return false;
  if (!silenced && is_silenced) return false;
  if (!inhibited && is_inhibited) return false;
  if (!labels::MatchesAll(matchers, a.alert.labels)) return false;
  if (!receiver_regex.empty()) {
    auto m = labels::Matcher::Create(labels::MatchType::kRegex, "receiver", receiver_regex);
    if (!m.ok()) return false;
    bool any = false;
    for (const std::string& r : a.receivers) any = any || m->MatchesValue(r);
    if (!any) return false;
  }
  return true;
}

absl::StatusOr<AlertFilter> ParseAlertFilter(
    const std::vector<std::pair<std::string, std::string>>& params) {
  AlertFilter f;
  for (const auto& [name, value] : params) {
    if (name == "active" || name == "silenced" || name == "inhibited" || name == "unprocessed") {
      auto b = ParseBool(name, value);
      if (!b.ok()) return b.status();
      if (name == "active") f.active = *b;
      if (name == "silenced") f.silenced = *b;
      if (name == "inhibited") f.inhibited = *b;
    } else if (name == "filter") {
      auto m = ParseMatcher(value);
      if (!m.ok()) return absl::InvalidArgumentError(StrCat("filter: ", m.status().message()));
      f.matchers.push_back(std::move(*m));
    } else if (name == "receiver") {
      auto m = labels::Matcher::Create(labels::MatchType::kRegex, "receiver", value);
      if (!m.ok()) return absl::InvalidArgumentError(StrCat("receiver: ", m.status().message()));
      f.receiver_regex = value;
    }
  }
  return f;
}

std::string AlertGroupsJson(const std::vector<AlertGroupView>& groups) {
  Ordered out = Ordered::array();
  for (const AlertGroupView& g : groups) {
    Ordered j;
    j["alerts"] = GettableAlerts(g.alerts);
    j["labels"] = KeyValues(g.labels);
    j["receiver"] = {{"name", g.receiver}};
    out.push_back(std::move(j));
  }
  return Dump(out);
}

std::string ReceiversJson(const std::vector<std::string>& names) {
  Ordered out = Ordered::array();
  for (const std::string& n : names) out.push_back({{"name", n}});
  return Dump(out);
}

std::string StatusJson(const std::string& config_original, TimestampMs started_ms) {
  Ordered j;
  j["cluster"] = {{"peers", Ordered::array()}, {"status", "disabled"}};
  j["config"] = {{"original", config_original}};
  j["uptime"] = FormatGoTime(started_ms);
  j["versionInfo"] = {{"branch", "main"},      {"buildDate", ""},
                      {"buildUser", "vigil"},  {"goVersion", "none (C++)"},
                      {"revision", "unknown"}, {"version", "0.25.0-vigil"}};
  return Dump(j);
}

std::string ErrorJson(const std::string& message) {
  return nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil::notifier
