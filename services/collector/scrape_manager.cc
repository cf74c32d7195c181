#include "services/collector/scrape_manager.h"

#include <algorithm>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/expfmt/parser.h"
#include "lib/relabel/relabel.h"

namespace vigil::collector {
namespace {

constexpr const char* kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                        "scrape_samples_post_metric_relabeling",
                                        "scrape_series_added"};

// Attaches the target's labels to a scraped series (Prometheus mutateSampleLabels): with
// honor_labels the scraped value wins; otherwise the target's wins and a clashing scraped
// label is kept as exported_<name>.
labels::Labels MergeTargetLabels(std::vector<labels::Label> scraped, const Target& t) {
  for (const labels::LabelView& tl : t.labels) {
    auto it = std::find_if(scraped.begin(), scraped.end(),
                           [&](const labels::Label& l) { return l.name == tl.name; });
    if (it == scraped.end()) {
      scraped.push_back(tl.Owned());
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
  other_shard_targets_ = 0;
  for (const auto& sc : cfg.scrape_configs) {
    for (Target& t : TargetsFromConfig(sc)) {
      if (!shard_.Owns(t.address)) {
        ++other_shard_targets_;
        continue;
      }
      if (Target* old = Find(t.key);
          old != nullptr && old->interval == t.interval && old->labels == t.labels) {
        // Same target, same schedule: keep its state; pick up other settings.
        Target kept = std::move(*old);
        kept.timeout = t.timeout;
        kept.honor_labels = t.honor_labels;
        kept.honor_timestamps = t.honor_timestamps;
        kept.metric_relabel = t.metric_relabel;
        kept.sample_limit = t.sample_limit;
        kept.label_limit = t.label_limit;
        kept.label_name_length_limit = t.label_name_length_limit;
        kept.label_value_length_limit = t.label_value_length_limit;
        kept.body_size_limit = t.body_size_limit;
        kept.http = t.http;
        kept.cache.ForgetLines();  // lines may resolve differently under the new settings
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
    for (const ScrapeCache::Series& s : old.cache.series) {
      if (s.tracked == old.cache.scrape) gone.Add(s.labels, now, codec::StaleNaN());
    }
    if (old.health != Health::kUnknown) {
      for (const char* name : kReportNames) {
        AddReport(gone, old, name, now, codec::StaleNaN());
      }
    }
  }
  targets_ = std::move(next);
  return gone.Take();
}

std::vector<ScrapeRequest> ScrapeManager::TakeDue(absl::Time now) {
  std::vector<ScrapeRequest> out;
  const TimestampMs now_ms = ToMs(now);
  for (Target& t : targets_) {
    if (t.in_flight || t.next_scrape_ms > now_ms) continue;
    t.in_flight = true;
    // Prometheus starts its ticker and alignedScrapeTime at the first scrape.
    if (!t.aligned_scrape_ms) t.aligned_scrape_ms = now_ms;
    TimestampMs ts = ScrapeTimestamp(now, t.interval, adjust_timestamps_, &*t.aligned_scrape_ms);
    int64_t interval = absl::ToInt64Milliseconds(t.interval);
    // The grid's origin: any of its ticks, and aligned_scrape_ms is one.
    if (interval > 0) t.next_scrape_ms = NextTick(*t.aligned_scrape_ms, interval, now_ms);
    out.push_back(ScrapeRequest{t.key, t.url, t.timeout, t.body_size_limit, t.http, ts});
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

namespace {

// Go's %.50s: at most 50 characters (runes) of `s`.
std::string_view Runes50(std::string_view s) {
  size_t runes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && runes++ == 50) return s.substr(0, i);
  }
  return s;
}

// Go's %.50q for the label values Prometheus quotes in its limit errors.
std::string Quote50(std::string_view s) { return labels::GoQuote(Runes50(s)); }

// Prometheus's verifyLabelLimits, with its error texts.
absl::Status VerifyLabelLimits(const labels::Labels& ls, const Target& t) {
  std::string_view metric = Runes50(ls.Get(labels::kMetricName));
  if (t.label_limit > 0 && ls.size() > t.label_limit) {
    return absl::FailedPreconditionError(
        StrCat("label_limit exceeded (metric: ", metric, ", number of labels: ", ls.size(),
               ", limit: ", t.label_limit, ")"));
  }
  for (const labels::LabelView& l : ls) {
    if (t.label_name_length_limit > 0 && l.name.size() > t.label_name_length_limit) {
      return absl::FailedPreconditionError(StrCat(
          "label_name_length_limit exceeded (metric: ", metric, ", label name: ", Runes50(l.name),
          ", length: ", l.name.size(), ", limit: ", t.label_name_length_limit, ")"));
    }
    if (t.label_value_length_limit > 0 && l.value.size() > t.label_value_length_limit) {
      return absl::FailedPreconditionError(
          StrCat("label_value_length_limit exceeded (metric: ", metric,
                 ", label name: ", Runes50(l.name), ", value: ", Quote50(l.value),
                 ", length: ", l.value.size(), ", limit: ", t.label_value_length_limit, ")"));
    }
  }
  return absl::OkStatus();
}

// The series a line becomes (cache miss): target labels, then metric relabelling, then
// the label limits (a series over one fails the scrape and is not remembered).
absl::StatusOr<int32_t> ResolveLine(const expfmt::Parser& parser, const Target& t,
                                    ScrapeCache& cache) {
  std::vector<labels::Label> ls = parser.series_labels();
  ls.push_back(labels::Label{std::string(labels::kMetricName), std::string(parser.metric_name())});
  labels::Labels merged = MergeTargetLabels(std::move(ls), t);
  if (t.metric_relabel && !t.metric_relabel->empty()) {
    std::optional<labels::Labels> relabelled = relabel::Process(merged, *t.metric_relabel);
    if (!relabelled || relabelled->empty()) return ScrapeCache::kDropped;
    merged = std::move(*relabelled);
  }
  if (absl::Status s = VerifyLabelLimits(merged, t); !s.ok()) return s;
  return cache.Intern(std::move(merged));
}

void AddSample(v1::SampleBatch& b, const ScrapeCache& c, const ScrapeCache::Series& series,
               TimestampMs t, double v) {
  v1::Series* s = b.add_series();
  const uint32_t* refs = c.refs(series);
  s->mutable_label_refs()->Add(refs, refs + series.refs_size);
  v1::Sample* p = s->add_samples();
  p->set_timestamp_ms(t);
  p->set_value(v);
}

}  // namespace

const v1::SampleBatch* ScrapeManager::OnScrapeDone(const std::string& target_key,
                                                   TimestampMs started,
                                                   const ScrapeResult& result) {
  Target* t = Find(target_key);
  if (t == nullptr) return nullptr;
  t->in_flight = false;

  ScrapeCache& c = t->cache;
  if (c.compact_due) {
    c.Compact();
    c.compact_due = false;
  }
  uint64_t scrape = ++c.scrape;
  std::string error = result.error;
  c.rows.clear();
  uint64_t scraped = 0;  // before metric relabelling
  // A parse error or a limit failed the scrape after it read some samples: Prometheus
  // stores none of them but its report counts them.
  bool append_failed = false;
  if (error.empty()) {
    expfmt::Format format = expfmt::FormatFromContentType(result.content_type);
    if (format != c.format) {
      c.ForgetLines();  // a text may read differently in the other format
      c.format = format;
    }
    // Exemplars are parsed (a malformed one fails the scrape, as in Prometheus) and dropped.
    std::unique_ptr<expfmt::Parser> parser = expfmt::NewParser(result.body, result.content_type);
    absl::string_view found;
    parser->set_series_lookup([&c, &found](std::string_view text) -> std::optional<int64_t> {
      return c.Lookup(ToAbsl(text), &found);
    });
    while (true) {
      absl::StatusOr<expfmt::Entry> e = parser->Next();
      if (!e.ok()) {
        // Prometheus stores nothing of the scrape but reports what it parsed before.
        error = StrCat("parse error: ", e.status().message());
        append_failed = true;
        break;
      }
      if (*e == expfmt::Entry::kEof) break;
      if (*e != expfmt::Entry::kSeries) continue;
      ++scraped;
      int32_t index;
      if (std::optional<int64_t> known = parser->known_series()) {
        index = static_cast<int32_t>(*known);
      } else {
        absl::string_view text = ToAbsl(parser->series_text());
        if (std::optional<int32_t> cached = c.Lookup(text, &found)) {
          index = *cached;
        } else {
          absl::StatusOr<int32_t> resolved = ResolveLine(*parser, *t, c);
          if (!resolved.ok()) {
            error = std::string(resolved.status().message());
            append_failed = true;
            break;
          }
          index = *resolved;
          found = c.Remember(text, index);
        }
      }
      c.Next(found, index);
      if (index == ScrapeCache::kDropped) continue;  // dropped by metric relabelling
      bool explicit_ts = t->honor_timestamps && parser->timestamp_ms().has_value();
      c.rows.push_back(ScrapeCache::Row{index, explicit_ts,
                                        explicit_ts ? *parser->timestamp_ms() : started,
                                        parser->value()});
    }
    c.EndLines();
    if (error.empty() && t->sample_limit > 0 && c.rows.size() > t->sample_limit) {
      error = "sample limit exceeded";
      append_failed = true;
    }
  }
  // Prometheus's failed append (scrapeLoop.append, then an empty one for staleness):
  // nothing of the scrape is stored, but the report counts what it read (samples scraped
  // and after relabelling; series added up to the sample limit), its cache keeps the
  // series it parsed, and the series it appended before failing count as present: they get
  // no staleness marker now (their last value stays visible), and one at the next scrape
  // that lacks them, even a series that never got a sample. The others of the previous
  // scrape go stale.
  uint64_t failed_post_relabel = 0;
  uint64_t failed_added = 0;
  if (append_failed) {
    failed_post_relabel = c.rows.size();
    size_t upto = std::min<size_t>(c.rows.size(), t->sample_limit > 0 ? t->sample_limit
                                                                       : c.rows.size());
    // Samples over the sample limit were refused: Prometheus neither counts nor caches them.
    for (size_t i = 0; i < upto; ++i) {
      ScrapeCache::Series& s = c.series[static_cast<size_t>(c.rows[i].series)];
      if (s.listed == scrape) continue;
      if (!c.Known(s)) ++failed_added;
      s.listed = scrape;
      if (!c.rows[i].explicit_ts) s.tracked = scrape;
    }
    c.rows.clear();
  }

  // One batch for every target: its messages stay allocated and warm from scrape to scrape.
  v1::SampleBatch& b = batch_;
  b.mutable_series()->Clear();
  auto* symbols = b.mutable_symbols();
  symbols->Clear();
  if (c.report_series.empty()) {
    for (const char* name : kReportNames) {
      c.report_series.push_back(c.Encoded(t->labels.With(labels::kMetricName, name)));
    }
  }
  for (const std::string& s : c.symbols.symbols()) symbols->Add()->assign(s);
  uint64_t added = 0;
  uint64_t kept = 0;
  for (const ScrapeCache::Row& row : c.rows) {
    ScrapeCache::Series& s = c.series[static_cast<size_t>(row.series)];
    if (s.seen == scrape) continue;  // duplicate series in one scrape: first wins
    if (!c.Known(s)) ++added;
    s.seen = scrape;
    s.listed = scrape;
    if (!row.explicit_ts) s.tracked = scrape;
    AddSample(b, c, s, row.t, row.v);
    ++kept;
  }
  // Series of the previous scrape (without explicit timestamps) missing now end now.
  for (const ScrapeCache::Series& s : c.series) {
    if (s.tracked == scrape - 1) AddSample(b, c, s, started, codec::StaleNaN());
  }

  bool up = error.empty();
  if (append_failed) {
    kept = failed_post_relabel;
    added = failed_added;
  }
  if (up) c.last_success = scrape;
  const double report_values[] = {up ? 1.0 : 0.0, result.duration_seconds,
                                  static_cast<double>(scraped), static_cast<double>(kept),
                                  static_cast<double>(added)};
  for (size_t i = 0; i < std::size(kReportNames); ++i) {
    AddSample(b, c, c.report_series[i], started, report_values[i]);
  }

  t->health = up ? Health::kUp : Health::kDown;
  t->last_error = error;
  t->last_scrape_ms = started;
  t->last_duration_seconds = result.duration_seconds;
  t->last_samples = scraped;

  b.set_source(t->key);
  b.set_round_timestamp_ms(started);
  b.set_end_of_round(true);
  // Keep the cache proportional to what the target exposes now. (Compacting renumbers the
  // symbols; it waits for the next scrape.) A failed scrape says nothing about which
  // series the target still has, so it keeps the cache as it is, as Prometheus does.
  c.compact_due = up && (c.series.size() > 2 * kept + 64 || c.lines.size() > 2 * scraped + 64);
  return &b;
}

}  // namespace vigil::collector
