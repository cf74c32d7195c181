#include "services/collector/scrape_manager.h"

#include <algorithm>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/expfmt/parser.h"
#include "lib/relabel/relabel.h"

namespace vigil::collector {
namespace {

// Attaches the target's labels to a scraped series (Prometheus mutateSampleLabels): with
// honor_labels the scraped value wins; otherwise the target's wins and a clashing scraped
// label is kept as exported_<name>.
labels::Labels MergeTargetLabels(std::vector<labels::Label> scraped, const Target& t) {
  for (const labels::Label& tl : t.labels) {
    auto it = std::find_if(scraped.begin(), scraped.end(),
                           [&](const labels::Label& l) { return l.name == tl.name; });
    if (it == scraped.end()) {
      scraped.push_back(tl);
      continue;
    }
    if (t.honor_labels) continue;
    std::string exported = StrCat("exported_", tl.name);
    while (std::any_of(scraped.begin(), scraped.end(),
                       [&](const labels::Label& l) { return l.name == exported; })) {
      exported = StrCat("exported_", exported);
    }
    it = std::find_if(scraped.begin(), scraped.end(),
                      [&](const labels::Label& l) { return l.name == tl.name; });
    std::string value = it->value;
    it->value = tl.value;
    scraped.push_back(labels::Label{exported, value});
  }
  return labels::Labels(std::move(scraped));
}

void AddReport(codec::SampleBatchBuilder& b, const Target& t, std::string_view name, TimestampMs ts,
               double v) {
  b.Add(t.labels.With(labels::kMetricName, name), ts, v);
}

}  // namespace

Target* ScrapeManager::Find(const std::string& key) {
  for (Target& t : targets_) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

v1::SampleBatch ScrapeManager::ApplyConfig(const promconfig::PrometheusConfig& cfg,
                                           TimestampMs now) {
  std::vector<Target> next;
  for (const auto& sc : cfg.scrape_configs) {
    for (Target& t : TargetsFromConfig(sc)) {
      if (Target* old = Find(t.key);
          old != nullptr && old->interval == t.interval && old->labels == t.labels) {
        // Same target, same schedule: keep its state; pick up other settings.
        Target kept = std::move(*old);
        kept.timeout = t.timeout;
        kept.honor_labels = t.honor_labels;
        kept.honor_timestamps = t.honor_timestamps;
        old->key.clear();  // moved out
        next.push_back(std::move(kept));
        continue;
      }
      t.next_scrape_ms = FirstScrapeTime(t, now);
      next.push_back(std::move(t));
    }
  }
  // Whatever remains in targets_ with a key is gone: its series end now.
  codec::SampleBatchBuilder gone;
  for (const Target& old : targets_) {
    if (old.key.empty()) continue;
    for (const auto& [fp, ls] : old.last_series) gone.Add(ls, now, codec::StaleNaN());
    if (old.health != Health::kUnknown) {
      for (const char* name : {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                               "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
        AddReport(gone, old, name, now, codec::StaleNaN());
      }
    }
  }
  targets_ = std::move(next);
  return gone.Take();
}

std::vector<ScrapeRequest> ScrapeManager::TakeDue(TimestampMs now) {
  std::vector<ScrapeRequest> out;
  for (Target& t : targets_) {
    if (t.in_flight || t.next_scrape_ms > now) continue;
    t.in_flight = true;
    out.push_back(ScrapeRequest{t.key, t.url, t.timeout});
  }
  return out;
}

int ScrapeManager::ScheduleNow(const std::string& job, const std::string& url, TimestampMs now) {
  int n = 0;
  for (Target& t : targets_) {
    if ((job.empty() || t.job == job) && (url.empty() || t.url == url)) {
      t.next_scrape_ms = now;
      ++n;
    }
  }
  return n;
}

std::optional<TimestampMs> ScrapeManager::NextDeadline() const {
  std::optional<TimestampMs> next;
  for (const Target& t : targets_) {
    if (t.in_flight) continue;
    if (!next || t.next_scrape_ms < *next) next = t.next_scrape_ms;
  }
  return next;
}

std::optional<v1::SampleBatch> ScrapeManager::OnScrapeDone(const std::string& target_key,
                                                           TimestampMs started,
                                                           const ScrapeResult& result) {
  Target* t = Find(target_key);
  if (t == nullptr) return std::nullopt;
  t->in_flight = false;
  int64_t interval = absl::ToInt64Milliseconds(t->interval);
  if (t->next_scrape_ms <= started) t->next_scrape_ms = started + interval;

  std::string error = result.error;
  struct Scraped {
    labels::Labels labels;
    TimestampMs t;
    double v;
    bool explicit_ts;
  };
  std::vector<Scraped> samples;
  uint64_t scraped = 0;  // before metric relabelling
  if (error.empty()) {
    // Exemplars are parsed (a malformed one fails the scrape, as in Prometheus) and dropped.
    std::unique_ptr<expfmt::Parser> parser = expfmt::NewParser(result.body, result.content_type);
    while (true) {
      absl::StatusOr<expfmt::Entry> e = parser->Next();
      if (!e.ok()) {
        error = StrCat("parse error: ", e.status().message());
        samples.clear();
        scraped = 0;
        break;
      }
      if (*e == expfmt::Entry::kEof) break;
      if (*e != expfmt::Entry::kSeries) continue;
      std::vector<labels::Label> ls = parser->series_labels();
      ls.push_back(
          labels::Label{std::string(labels::kMetricName), std::string(parser->metric_name())});
      bool explicit_ts = t->honor_timestamps && parser->timestamp_ms().has_value();
      ++scraped;
      labels::Labels merged = MergeTargetLabels(std::move(ls), *t);
      if (t->metric_relabel && !t->metric_relabel->empty()) {
        std::optional<labels::Labels> relabelled = relabel::Process(merged, *t->metric_relabel);
        if (!relabelled || relabelled->empty()) continue;  // dropped by metric relabelling
        merged = std::move(*relabelled);
      }
      samples.push_back(Scraped{std::move(merged), explicit_ts ? *parser->timestamp_ms() : started,
                                parser->value(), explicit_ts});
    }
  }

  codec::SampleBatchBuilder b;
  absl::flat_hash_map<uint64_t, labels::Labels> current;
  absl::flat_hash_set<uint64_t> seen;
  uint64_t added = 0;
  uint64_t kept = 0;
  for (Scraped& s : samples) {
    uint64_t fp = s.labels.Fingerprint();
    if (!seen.insert(fp).second) continue;  // duplicate series in one scrape: first wins
    if (!t->last_seen.contains(fp)) ++added;
    b.Add(s.labels, s.t, s.v);
    ++kept;
    if (!s.explicit_ts) current.emplace(fp, std::move(s.labels));
  }
  for (const auto& [fp, ls] : t->last_series) {
    if (!current.contains(fp)) b.Add(ls, started, codec::StaleNaN());
  }
  t->last_series = std::move(current);
  t->last_seen = std::move(seen);

  bool up = error.empty();
  AddReport(b, *t, "up", started, up ? 1 : 0);
  AddReport(b, *t, "scrape_duration_seconds", started, result.duration_seconds);
  AddReport(b, *t, "scrape_samples_scraped", started, static_cast<double>(scraped));
  AddReport(b, *t, "scrape_samples_post_metric_relabeling", started, static_cast<double>(kept));
  AddReport(b, *t, "scrape_series_added", started, static_cast<double>(added));

  t->health = up ? Health::kUp : Health::kDown;
  t->last_error = error;
  t->last_scrape_ms = started;
  t->last_duration_seconds = result.duration_seconds;
  t->last_samples = scraped;

  v1::SampleBatch batch = b.Take();
  batch.set_source(t->key);
  batch.set_round_timestamp_ms(started);
  batch.set_end_of_round(true);
  return batch;
}

}  // namespace vigil::collector
