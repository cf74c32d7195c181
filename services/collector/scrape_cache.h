#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/expfmt/parser.h"
#include "lib/labels/labels.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::collector {

// What the collector remembers of a target's series between scrapes (Prometheus's
// scrapeCache): each exposition line's series text maps to the series it became after the
// target's labels and metric relabelling, with that series' labels already encoded as
// references into a symbol table that lives as long as the cache. A line seen before costs
// one hash lookup: no labels built, no relabelling, no fingerprint, no symbol lookups.
//
// The cache also carries the per-series state Prometheus keeps for staleness and
// scrape_series_added, and the target's SampleBatch, reused from scrape to scrape so that
// its messages and symbol table are not rebuilt.
struct ScrapeCache {
  static constexpr int32_t kDropped = -1;  // a line metric relabelling drops

  struct Series {
    labels::Labels labels;
    uint64_t fingerprint = 0;
    std::vector<uint32_t> refs;  // (name, value) pairs into batch.symbols
    uint64_t seen = 0;           // the scrape that last had this series
    uint64_t tracked = 0;        // the scrape that last had it without an explicit timestamp
  };

  // One sample of the scrape being processed, before it is checked for duplicates.
  struct Row {
    int32_t series;
    bool explicit_ts;
    int64_t t;
    double v;
  };

  // Numbers the scrapes of the target, failed ones included; starts above the 0 of a new
  // series' `seen` and `tracked` so that "in the previous scrape" is never true of one.
  uint64_t scrape = 1;
  expfmt::Format format = expfmt::Format::kText;
  absl::flat_hash_map<std::string, int32_t> lines;  // series text -> series or kDropped
  absl::flat_hash_map<uint64_t, int32_t> by_fingerprint;
  std::vector<Series> series;
  absl::flat_hash_map<std::string, uint32_t> symbols;  // index into batch.symbols
  std::vector<Row> rows;                                // reused scratch
  // The report series (up, scrape_duration_seconds, ...) of the target, as refs.
  std::vector<std::vector<uint32_t>> report_refs;
  v1::SampleBatch batch;
  bool compact_due = false;  // Compact() before the next scrape

  // Interns `s` in the batch's symbol table.
  uint32_t Symbol(const std::string& s);
  // Encodes `ls` as symbol references.
  std::vector<uint32_t> Refs(const labels::Labels& ls);
  // The series for final labels `ls` (existing or new).
  int32_t Intern(labels::Labels ls);
  // Forgets line texts (a target's settings changed: they may resolve differently now);
  // series state stays, so staleness carries over.
  void ForgetLines() { lines.clear(); }
  // Keeps only the series of the last scrape and re-encodes the symbol table, so that a
  // target whose series churn does not grow without bound.
  void Compact();
};

}  // namespace vigil::collector
