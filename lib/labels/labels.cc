#include "lib/labels/labels.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "lib/base/hex.h"

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
}

void PutVarint(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

// Reads a varint at *p (the buffer is ours and well formed).
size_t GetVarint(const char** p) {
  size_t n = 0;
  int shift = 0;
  for (;;) {
    auto b = static_cast<unsigned char>(*(*p)++);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if (b < 0x80) return n;
    shift += 7;
  }
}

}  // namespace

void Labels::const_iterator::Load() {
  if (p_ == end_) return;
  const char* q = p_;
  size_t n = GetVarint(&q);
  cur_.name = std::string_view(q, n);
  q += n;
  n = GetVarint(&q);
  cur_.value = std::string_view(q, n);
  next_ = q + n;
}

void Labels::Append(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  PutVarint(&data_, name.size());
  data_.append(name);
  PutVarint(&data_, value.size());
  data_.append(value);
}

Labels::Labels(std::vector<Label> labels) {
  Normalize(labels);
  size_t bytes = 0;
  for (const Label& l : labels) bytes += l.name.size() + l.value.size() + 2;
  data_.reserve(bytes);
  // Last one wins on duplicates: keep the final element of each equal-name run.
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i + 1 < labels.size() && labels[i + 1].name == labels[i].name) continue;
    Append(labels[i].name, labels[i].value);
  }
  data_.shrink_to_fit();
}

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  std::vector<Label> items;
  items.reserve(labels.size());
  for (const auto& [n, v] : labels) items.push_back(Label{std::string(n), std::string(v)});
  *this = Labels(std::move(items));
}

Labels Labels::FromSorted(std::initializer_list<LabelView> labels) {
  return FromSorted(labels.begin(), labels.end());
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::vector<Label> Labels::ToVector() const {
  std::vector<Label> out;
  for (const LabelView& l : *this) out.push_back(Label{std::string(l.name), std::string(l.value)});
  return out;
}

std::string_view Labels::Get(std::string_view name) const {
  for (const LabelView& l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;  // sorted
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

Labels Labels::With(std::string_view name, std::string_view value) const {
  Labels out;
  out.data_.reserve(data_.size() + name.size() + value.size() + 2);
  bool placed = false;
  for (const LabelView& l : *this) {
    if (!placed && l.name >= name) {
      out.Append(name, value);
      placed = true;
      if (l.name == name) continue;
    }
    out.Append(l.name, l.value);
  }
  if (!placed) out.Append(name, value);
  return out;
}

Labels Labels::Without(std::string_view name) const {
  if (!Has(name)) return *this;
  Labels out;
  out.data_.reserve(data_.size());  // one label less: a few bytes of slack, no second copy
  for (const LabelView& l : *this) {
    if (l.name != name) out.Append(l.name, l.value);
  }
  return out;
}

std::strong_ordering Labels::operator<=>(const Labels& o) const {
  auto a = begin(), ae = end(), b = o.begin(), be = o.end();
  for (; a != ae && b != be; ++a, ++b) {
    if (auto c = *a <=> *b; c != 0) return c;
  }
  if (a != ae) return std::strong_ordering::greater;
  if (b != be) return std::strong_ordering::less;
  return std::strong_ordering::equal;
}

size_t Labels::HeapBytes() const {
  // libstdc++ keeps up to 15 characters inline.
  return data_.capacity() > 15 ? data_.capacity() + 1 : 0;
}

uint64_t Labels::Fingerprint() const {
  uint64_t h = kFnvOffset;
  for (const LabelView& l : *this) {
    h = FnvAdd(h, l.name);
    h = FnvAddByte(h, 0xff);
    h = FnvAdd(h, l.value);
    h = FnvAddByte(h, 0xff);
  }
  return h;
}

std::string Labels::FingerprintHex() const { return Hex16(Fingerprint()); }

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const LabelView& l : *this) {
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += "=";
    out += GoQuote(l.value);
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
  for (const LabelView& l : *this) {
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
