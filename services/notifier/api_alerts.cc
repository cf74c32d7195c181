#include "services/notifier/api_alerts.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/json/go_string.h"
#include "lib/labels/labels.h"
#include "services/notifier/config.h"
#include "services/notifier/go_json.h"
#include "services/notifier/matchers.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

using Ordered = nlohmann::ordered_json;

template <typename Pairs>  // labels::Labels or Annotations
Ordered KeyValues(const Pairs& ls) {
  Ordered out = Ordered::object();
  for (const auto& l : ls) out[l.name] = l.value;
  return out;
}

Ordered GettableAlerts(const std::vector<RoutedAlert>& alerts) {
  Ordered out = Ordered::array();
  for (const RoutedAlert& r : alerts) {
    const Alert& a = r.alert;
    Ordered j;
    j["annotations"] = KeyValues(a.annotations);
    j["endsAt"] = FormatApiTime(a.ends_at_ms);
    j["fingerprint"] = a.FingerprintHex();
    Ordered receivers = Ordered::array();
    for (const std::string& name : r.receivers) receivers.push_back({{"name", name}});
    j["receivers"] = std::move(receivers);
    j["startsAt"] = FormatApiTime(a.starts_at_ms);
    const bool suppressed = !r.inhibited_by.empty() || !r.silenced_by.empty();
    j["status"] = {{"inhibitedBy", r.inhibited_by},
                   {"silencedBy", r.silenced_by},
                   {"state", suppressed ? "suppressed" : "active"}};
    j["updatedAt"] = FormatApiTime(a.updated_at_ms);
    // Go's omitempty: Alertmanager leaves an empty generatorURL out.
    if (!a.generator_url.empty()) j["generatorURL"] = a.generator_url;
    j["labels"] = KeyValues(a.labels);
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
  return DumpGoJson(GettableAlerts(alerts));
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

// A group is a plain struct (HTML left as it is) around its gettable alerts, which marshal
// themselves with HTML escaped.
std::string AlertGroupsJson(const std::vector<AlertGroupView>& groups) {
  std::string out = "[";
  for (const AlertGroupView& g : groups) {
    if (out.size() > 1) out.push_back(',');
    out += "{\"alerts\":";
    out += DumpGoJson(GettableAlerts(g.alerts));
    out += ",\"labels\":";
    out += DumpGoJson(KeyValues(g.labels), /*escape_html=*/false);
    out += ",\"receiver\":";
    out += DumpGoJson(Ordered{{"name", g.receiver}}, /*escape_html=*/false);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

std::string ReceiversJson(const std::vector<std::string>& names) {
  Ordered out = Ordered::array();
  for (const std::string& n : names) out.push_back({{"name", n}});
  return DumpGoJson(out, /*escape_html=*/false);
}

std::string StatusJson(const std::string& config_original, TimestampMs started_ms) {
  Ordered j;
  j["cluster"] = {{"peers", Ordered::array()}, {"status", "disabled"}};
  j["config"] = {{"original", config_original}};
  j["uptime"] = FormatApiTime(started_ms);
  j["versionInfo"] = {{"branch", "main"},      {"buildDate", ""},
                      {"buildUser", "vigil"},  {"goVersion", "none (C++)"},
                      {"revision", "unknown"}, {"version", "0.25.0-vigil"}};
  return DumpGoJson(j, /*escape_html=*/false);
}

std::string ErrorJson(const std::string& message) {
  std::string out;
  json::AppendGoJsonString(message, &out, /*escape_html=*/false);
  return out;
}

std::string SilenceIdParamError(std::string_view id) {
  auto hex_run = [&id](size_t* at, size_t n) {
    for (size_t end = *at + n; *at < end; ++*at) {
      if (*at >= id.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(id[*at]))) {
        return false;
      }
    }
    return true;
  };
  size_t at = 0;
  bool ok = true;
  for (size_t n : {8, 4, 4, 4, 12}) {
    if (n != 8 && at < id.size() && id[at] == '-') ++at;  // each dash optional
    ok = ok && hex_run(&at, n);
  }
  if (ok && at == id.size()) return "";
  return OpenApiErrorJson(601, StrCat("silenceID in path must be of type uuid: ", GoQuote(id)));
}

}  // namespace vigil::notifier
