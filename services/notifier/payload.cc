#include "services/notifier/payload.h"

#include "absl/strings/str_cat.h"
#include "lib/json/go_string.h"
#include "services/notifier/go_json.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

// Writes JSON the way Go's encoding/json does for Alertmanager's types.
class GoJsonWriter {
 public:
  explicit GoJsonWriter(std::string* out) : out_(*out) {}

  // `"name":` after a comma unless first in its object.
  void Key(std::string_view name) {
    Separate();
    json::AppendGoJsonString(name, &out_);
    out_.push_back(':');
    after_key_ = true;
  }
  void String(std::string_view s) {
    Separate();
    json::AppendGoJsonString(s, &out_);
  }
  void Raw(std::string_view text) {
    Separate();
    out_.append(text);
  }
  void Open(char c) {
    Separate();
    out_.push_back(c);
    first_ = true;
  }
  void Close(char c) {
    out_.push_back(c);
    first_ = false;
  }
  // A template.KV: an object with the labels' (or annotations') names in order (Go sorts
  // map keys, and both are sorted by name).
  template <typename Pairs>
  void Labels(const Pairs& ls) {
    Open('{');
    for (const auto& l : ls) {
      Key(l.name);
      String(l.value);
    }
    Close('}');
  }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_) {
      out_.push_back(',');
    }
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

// The labels (or annotations) every alert shares with the same value; as Go reads its maps,
// an absent one has the value "".
template <typename Pairs>
Pairs Common(std::span<const Alert> alerts, Pairs Alert::*field) {
  if (alerts.empty()) return {};
  std::vector<labels::Label> out;
  for (const auto& l : alerts.front().*field) {
    bool shared = true;
    for (const Alert& a : alerts) {
      if ((a.*field).Get(l.name) != l.value) {
        shared = false;
        break;
      }
    }
    if (shared) out.push_back(labels::Label{std::string(l.name), std::string(l.value)});
  }
  return Pairs(std::move(out));
}

}  // namespace

std::string GroupStatus(std::span<const Alert> alerts, TimestampMs now) {
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
  std::string out;
  out.reserve(512 * (keep + 1));
  GoJsonWriter w(&out);
  w.Open('{');
  w.Key("receiver");
  w.String(GoQuoteMeta(data.receiver));
  // Alertmanager truncates first and builds the template data from what is left: the
  // status and the common labels are those of the alerts sent.
  const std::span<const Alert> sent = data.alerts.first(keep);
  w.Key("status");
  w.String(GroupStatus(sent, data.now));
  w.Key("alerts");
  w.Open('[');
  for (size_t i = 0; i < keep; ++i) {
    const Alert& a = data.alerts[i];
    const bool resolved = a.Resolved(data.now);
    w.Open('{');
    w.Key("status");
    w.String(resolved ? "resolved" : "firing");
    w.Key("labels");
    w.Labels(a.labels);
    w.Key("annotations");
    w.Labels(a.annotations);
    w.Key("startsAt");
    w.String(FormatGoTime(a.starts_at_ms));
    w.Key("endsAt");
    w.String(FormatGoTime(resolved ? a.ends_at_ms : 0));
    w.Key("generatorURL");
    w.String(a.generator_url);
    w.Key("fingerprint");
    w.String(a.FingerprintHex());
    w.Close('}');
  }
  w.Close(']');
  w.Key("groupLabels");
  w.Labels(data.group_labels != nullptr ? *data.group_labels : labels::Labels());
  w.Key("commonLabels");
  w.Labels(Common(sent, &Alert::labels));
  w.Key("commonAnnotations");
  w.Labels(Common(sent, &Alert::annotations));
  w.Key("externalURL");
  w.String(data.external_url);
  w.Key("version");
  w.String("4");
  w.Key("groupKey");
  w.String(data.group_key);
  w.Key("truncatedAlerts");
  w.Raw(absl::StrCat(data.alerts.size() - keep));
  w.Close('}');
  out.push_back('\n');  // json.Encoder.Encode ends each value with one
  return out;
}

}  // namespace vigil::notifier
