#include "lib/labels/labels.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vigil::labels {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t FnvAdd(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

uint64_t FnvAddByte(uint64_t h, unsigned char c) {
  h ^= c;
  h *= kFnvPrime;
  return h;
}

void Normalize(std::vector<Label>& items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  // Last one wins on duplicates: keep the final element of each equal-name run.
  std::vector<Label> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (i + 1 < items.size() && items[i + 1].name == items[i].name) continue;
    if (items[i].value.empty()) continue;
    out.push_back(std::move(items[i]));
  }
  items = std::move(out);
}


}  // namespace

Labels::Labels(std::vector<Label> labels) : items_(std::move(labels)) { Normalize(items_); }

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  items_.reserve(labels.size());
  for (const auto& [n, v] : labels) items_.push_back(Label{std::string(n), std::string(v)});
  Normalize(items_);
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != items_.end() && it->name == name) return it->value;
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

Labels Labels::With(std::string_view name, std::string_view value) const {
  std::vector<Label> items = items_;
  items.push_back(Label{std::string(name), std::string(value)});
  return Labels(std::move(items));
}

Labels Labels::Without(std::string_view name) const {
  Labels out;
  out.items_.reserve(items_.size());
  for (const Label& l : items_) {
    if (l.name != name) out.items_.push_back(l);
  }
  return out;
}

uint64_t Labels::Fingerprint() const {
  uint64_t h = kFnvOffset;
  for (const Label& l : items_) {
    h = FnvAdd(h, l.name);
    h = FnvAddByte(h, 0xff);
    h = FnvAdd(h, l.value);
    h = FnvAddByte(h, 0xff);
  }
  return h;
}

std::string Labels::FingerprintHex() const { return absl::StrFormat("%016x", Fingerprint()); }

std::string Labels::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i > 0) out += ", ";
    out += items_[i].name;
    out += "=";
    out += GoQuote(items_[i].value);
  }
  out += "}";
  return out;
}

namespace {

bool IsValidName(std::string_view name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (colons && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }
bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += '"';
  return out;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string Labels::ToExposition() const {
  std::string out(Get(kMetricName));
  bool first = true;
  for (const Label& l : items_) {
    if (l.name == kMetricName) continue;
    out += first ? "{" : ",";
    first = false;
    out += l.name;
    out += "=\"";
    out += EscapeLabelValue(l.value);
    out += "\"";
  }
  if (!first) out += "}";
  if (out.empty()) out = "{}";
  return out;
}

}  // namespace vigil::labels
