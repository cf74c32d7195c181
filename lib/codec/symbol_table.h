#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace vigil::codec {

// The strings of samples.proto's symbol table, numbered in first-seen order, "" always 0.
// Built once per batch (SampleBatchBuilder) or kept per target across scrapes (the
// collector's ScrapeCache, which re-sends the same table every scrape).
class SymbolTable {
 public:
  // The number of `s`, added at the end when new.
  uint32_t Ref(std::string_view s);
  // By number.
  const std::vector<std::string>& symbols() const { return symbols_; }
  // The strings, moved out; the table is empty afterwards.
  std::vector<std::string> Take();
  void Clear();

 private:
  std::vector<std::string> symbols_;
  absl::flat_hash_map<std::string, uint32_t> index_;  // into symbols_
};

}  // namespace vigil::codec
