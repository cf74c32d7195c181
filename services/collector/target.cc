#include "services/collector/target.h"

#include "lib/base/format.h"

namespace vigil::collector {

std::vector<Target> TargetsFromConfig(const promconfig::ScrapeConfig& sc) {
  std::vector<Target> out;
  for (const auto& st : sc.static_configs) {
    for (const std::string& address : st.targets) {
      Target t;
      t.job = sc.job_name;
      t.url = StrCat(sc.scheme, "://", address, sc.metrics_path);
      t.key = StrCat(sc.job_name, "\t", t.url);
      t.labels = st.labels.With("job", sc.job_name).With("instance", address);
      t.interval = sc.scrape_interval;
      t.timeout = sc.scrape_timeout;
      t.honor_labels = sc.honor_labels;
      t.honor_timestamps = sc.honor_timestamps;
      out.push_back(std::move(t));
    }
  }
  return out;
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

}  // namespace vigil::collector
