#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "lib/codec/symbol_table.h"
#include "lib/expfmt/parser.h"
#include "lib/labels/labels.h"

namespace vigil::collector {

// Copies of strings in large chunks: stable addresses, laid out in the order they came.
class TextArena {
 public:
  absl::string_view Copy(absl::string_view s);
  void Clear();

 private:
  static constexpr size_t kChunk = 64 << 10;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t used_ = kChunk;  // in the last chunk
};

// What the collector remembers of a target's series between scrapes (Prometheus's
// scrapeCache): each exposition line's series text maps to the series it became after the
// target's labels and metric relabelling, with that series' labels already encoded as
// references into a symbol table that lives as long as the cache. A line seen before costs
// a comparison with the line at the same place in the previous scrape (targets expose
// their series in the same order every time), or else one hash lookup: no labels built,
// no relabelling, no fingerprint, no symbol lookups. Everything a scrape walks (texts,
// series, refs) is laid out in exposition order, so that the walk streams through memory
// even when hundreds of targets take turns.
//
// The cache also carries the per-series state Prometheus keeps for staleness and
// scrape_series_added.
struct ScrapeCache {
  static constexpr int32_t kDropped = -1;  // a line metric relabelling drops

  struct Series {
    labels::Labels labels;
    uint64_t fingerprint = 0;
    uint32_t refs_begin = 0;  // (name, value) pairs in ref_pool, indexes into symbols
    uint32_t refs_size = 0;
    uint64_t seen = 0;     // the scrape that last had this series
    uint64_t tracked = 0;  // the scrape that last had it without an explicit timestamp
    uint64_t listed = 0;   // the scrape whose parsed lines last had it, failed ones included
  };

  // One sample of the scrape being processed, before it is checked for duplicates.
  struct Row {
    int32_t series;
    bool explicit_ts;
    int64_t t;
    double v;
  };

  struct Line {
    absl::string_view text;  // in `texts`
    int32_t series;
  };

  // Numbers the scrapes of the target, failed ones included; starts above the 0 of a new
  // series' `seen` and `tracked` so that "in the previous scrape" is never true of one.
  uint64_t scrape = 1;
  uint64_t last_success = 0;  // the last scrape with up 1
  expfmt::Format format = expfmt::Format::kText;
  TextArena texts;
  absl::flat_hash_map<absl::string_view, int32_t> lines;  // series text -> series or kDropped
  std::vector<Line> order;       // the lines of the previous scrape, in order
  std::vector<Line> next_order;  // those of this scrape so far
  absl::flat_hash_map<uint64_t, int32_t> by_fingerprint;
  std::vector<Series> series;
  std::vector<uint32_t> ref_pool;
  codec::SymbolTable symbols;
  std::vector<Row> rows;                                    // reused scratch
  // The report series (up, scrape_duration_seconds, ...) of the target, encoded.
  std::vector<Series> report_series;
  bool compact_due = false;  // Compact() before the next scrape

  // What `text` resolved to before, or nullopt; `found` gets the stored copy of the text.
  std::optional<int32_t> Lookup(absl::string_view text, absl::string_view* found) const;
  // Records what `text` resolves to; returns the stored copy of the text.
  absl::string_view Remember(absl::string_view text, int32_t series_index);
  // Appends the scrape's next line (stored text) to the order the next scrape expects.
  void Next(absl::string_view stored, int32_t series_index) {
    next_order.push_back(Line{stored, series_index});
  }
  // Ends a scrape's walk over the lines: its order is what the next scrape expects.
  void EndLines();

  // The series for final labels `ls` (existing or new).
  int32_t Intern(labels::Labels ls);
  // A series outside the scraped ones (the report series), encoded.
  Series Encoded(labels::Labels ls);
  const uint32_t* refs(const Series& s) const { return ref_pool.data() + s.refs_begin; }
  // Whether Prometheus's scrape cache would know the series, so that finding it again is
  // not a "series added": it holds the series of the last successful scrape plus any seen
  // by failed scrapes since (a failed scrape caches what it parsed; only a successful one
  // drops the series it did not see).
  bool Known(const Series& s) const { return s.listed != 0 && s.listed >= last_success; }

  // Forgets line texts (a target's settings changed: they may resolve differently now);
  // series state stays, so staleness carries over.
  void ForgetLines();
  // Keeps only the series of the last scrape and re-encodes the symbol table, so that a
  // target whose series churn does not grow without bound.
  void Compact();

 private:
  void Encode(Series& s);
};

}  // namespace vigil::collector
