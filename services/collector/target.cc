#include "services/collector/target.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "lib/config/duration.h"

namespace vigil::collector {
namespace {

// Go's url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += StrCat("%", fmt::format("{:02X}", static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace

std::vector<Target> TargetsFromConfig(const promconfig::ScrapeConfig& sc) {
  std::vector<Target> out;
  auto http = std::make_shared<const promconfig::HttpClientConfig>(sc.http);
  auto metric_relabel =
      std::make_shared<const std::vector<relabel::Config>>(sc.metric_relabel_configs);
  std::string interval = config::FormatPromDuration(sc.scrape_interval);
  std::string timeout = config::FormatPromDuration(sc.scrape_timeout);
  for (const auto& st : sc.static_configs) {
    for (const std::string& address : st.targets) {
      labels::Labels ls = st.labels.With("__address__", address);
      for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"job", sc.job_name},
                                 {"__scheme__", sc.scheme},
                                 {"__metrics_path__", sc.metrics_path},
                                 {"__scrape_interval__", interval},
                                 {"__scrape_timeout__", timeout}}) {
        if (!ls.Has(name)) ls = ls.With(name, value);
      }
      for (const auto& [name, values] : sc.params) {
        std::string label = StrCat("__param_", name);
        if (!values.empty() && !ls.Has(label)) ls = ls.With(label, values[0]);
      }
      std::optional<labels::Labels> relabelled = relabel::Process(ls, sc.relabel_configs);
      if (!relabelled) continue;  // dropped by relabelling
      ls = std::move(*relabelled);
      std::string addr(ls.Get("__address__"));
      if (addr.empty()) continue;  // Prometheus: "no address"
      auto iv = config::ParseDuration(ls.Get("__scrape_interval__"));
      auto to = config::ParseDuration(ls.Get("__scrape_timeout__"));
      // Prometheus 2.42 PopulateLabels: an interval or timeout of 0 drops the target, as
      // does a timeout greater than the interval.
      if (!iv.ok() || !to.ok() || *iv <= absl::ZeroDuration() || *to <= absl::ZeroDuration() ||
          *to > *iv)
        continue;
      if (!ls.Has("instance")) ls = ls.With("instance", addr);

      std::map<std::string, std::vector<std::string>> params = sc.params;
      std::vector<labels::Label> series;
      for (const labels::LabelView& l : ls) {
        if (l.name.starts_with("__param_")) {
          std::vector<std::string>& v = params[std::string(l.name.substr(8))];
          if (v.empty())
            v.emplace_back(l.value);
          else
            v[0] = l.value;
        }
        if (!l.name.starts_with("__")) series.push_back(l.Owned());  // __meta_* go here too
      }
      std::string query;
      for (const auto& [name, values] : params) {
        for (const std::string& v : values) {
          query += StrCat(query.empty() ? "?" : "&", QueryEscape(name), "=", QueryEscape(v));
        }
      }
      Target t;
      t.job = sc.job_name;
      t.address = addr;
      t.url = StrCat(ls.Get("__scheme__"), "://", addr, ls.Get("__metrics_path__"), query);
      t.key = StrCat(sc.job_name, "\t", t.url);
      t.labels = labels::Labels(std::move(series));
      t.interval = *iv;
      t.timeout = *to;
      t.honor_labels = sc.honor_labels;
      t.honor_timestamps = sc.honor_timestamps;
      t.metric_relabel = metric_relabel;
      t.sample_limit = sc.sample_limit;
      t.label_limit = sc.label_limit;
      t.label_name_length_limit = sc.label_name_length_limit;
      t.label_value_length_limit = sc.label_value_length_limit;
      t.body_size_limit = sc.body_size_limit;
      t.http = http;
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool Shard::Owns(std::string_view address) const {
  return count <= 1 || relabel::HashModValue(address) % count == index;
}

std::string Shard::ToString() const { return StrCat(index, "/", count); }

absl::StatusOr<Shard> ParseShard(std::string_view text) {
  size_t slash = text.find('/');
  Shard s;
  if (slash == std::string_view::npos ||
      !absl::SimpleAtoi(ToAbsl(text.substr(0, slash)), &s.index) ||
      !absl::SimpleAtoi(ToAbsl(text.substr(slash + 1)), &s.count) || s.count == 0 ||
      s.index >= s.count) {
    return absl::InvalidArgumentError(
        StrCat("invalid --shard \"", text, "\": want i/N with 0 <= i < N, e.g. 0/2"));
  }
  return s;
}

TimestampMs FirstScrapeTime(const Target& t, TimestampMs now) {
  int64_t interval = absl::ToInt64Milliseconds(t.interval);
  if (interval <= 0) return now;
  int64_t offset = static_cast<int64_t>(t.labels.Fingerprint() % static_cast<uint64_t>(interval));
  int64_t base = now - (now % interval);
  TimestampMs next = base + offset;
  if (next < now) next += interval;
  return next;
}

TimestampMs ScrapeTimestamp(absl::Time now, absl::Duration interval, bool adjust,
                            TimestampMs* aligned) {
  if (adjust && interval > 100 * kScrapeTimestampTolerance) {
    // A tick may have been skipped: move by as many intervals as have passed.
    if (absl::Duration behind = now - FromMs(*aligned); behind >= interval) {
      *aligned +=
          absl::ToInt64Milliseconds(interval) * absl::IDivDuration(behind, interval, &behind);
    }
    if (now - FromMs(*aligned) <= kScrapeTimestampTolerance) return *aligned;
  }
  return ToMs(now);
}

TimestampMs NextTick(TimestampMs origin, int64_t interval_ms, TimestampMs now) {
  if (now < origin) return origin;
  return origin + ((now - origin) / interval_ms + 1) * interval_ms;
}

}  // namespace vigil::collector
