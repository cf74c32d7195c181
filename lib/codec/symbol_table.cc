#include "lib/codec/symbol_table.h"

#include <utility>

namespace vigil::codec {

uint32_t SymbolTable::Ref(std::string_view s) {
  if (symbols_.empty()) {
    symbols_.emplace_back();
    index_.emplace("", 0);
  }
  // Looked up first: most symbols repeat, and a key is built only for a new one.
  auto it = index_.find(absl::string_view(s.data(), s.size()));
  if (it != index_.end()) return it->second;
  uint32_t ref = static_cast<uint32_t>(symbols_.size());
  index_.emplace(std::string(s), ref);
  symbols_.emplace_back(s);
  return ref;
}

std::vector<std::string> SymbolTable::Take() {
  std::vector<std::string> out = std::move(symbols_);
  Clear();
  return out;
}

void SymbolTable::Clear() {
  symbols_.clear();
  index_.clear();
}

}  // namespace vigil::codec
