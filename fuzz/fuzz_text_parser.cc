// Any bytes a target serves: the text-format parser must return a value or an error, and
// the scrape cache's fast path (set_series_lookup: a line whose series text the cache
// knows is checked for its value and timestamp only) must agree with a full parse.
//
// The input is parsed twice: in full, remembering every accepted series text; then with a
// lookup that knows those texts, as the next scrape of the same body would be. Both passes
// must see the same entries, values, timestamps and labels, and fail the same way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/expfmt/text_parser.h"

namespace {

using vigil::expfmt::Entry;

struct Seen {
  std::vector<Entry> entries;
  std::vector<std::string> series;  // Labels() of each sample, as text
  std::vector<double> values;
  std::vector<int64_t> timestamps;  // -1 when none
  std::string error;
};

Seen Parse(std::string_view input, const std::map<std::string, int64_t, std::less<>>* known,
           std::map<std::string, int64_t, std::less<>>* learn) {
  vigil::expfmt::TextParser parser(input);
  if (known != nullptr) {
    parser.set_series_lookup([known](std::string_view text) -> std::optional<int64_t> {
      auto it = known->find(text);
      if (it == known->end()) return std::nullopt;
      return it->second;
    });
  }
  Seen out;
  for (int i = 0; i < 100000; ++i) {
    auto e = parser.Next();
    if (!e.ok()) {
      out.error = std::string(e.status().message());
      break;
    }
    out.entries.push_back(*e);
    if (*e == Entry::kEof) break;
    if (*e != Entry::kSeries) continue;
    std::string labels = parser.Labels().ToString();
    if (known != nullptr && parser.known_series().has_value()) {
      // What the lookup returned must be the series the full parse named.
      auto it = known->find(parser.series_text());
      if (it == known->end() || it->second != *parser.known_series()) std::abort();
    }
    if (learn != nullptr) {
      learn->emplace(std::string(parser.series_text()), static_cast<int64_t>(learn->size()));
    }
    out.series.push_back(std::move(labels));
    double v = parser.value();
    out.values.push_back(v);
    out.timestamps.push_back(parser.timestamp_ms().value_or(-1));
  }
  return out;
}

bool SameValues(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (a[i] != a[i] && b[i] != b[i]))) return false;  // NaN == NaN
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::map<std::string, int64_t, std::less<>> known;
  Seen full = Parse(input, nullptr, &known);
  Seen fast = Parse(input, &known, nullptr);
  if (full.entries != fast.entries || full.series != fast.series ||
      !SameValues(full.values, fast.values) || full.timestamps != fast.timestamps ||
      full.error != fast.error) {
    std::abort();
  }
  return 0;
}
