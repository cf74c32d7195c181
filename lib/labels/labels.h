#pragma once

#include <cassert>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::labels {

inline constexpr std::string_view kMetricName = "__name__";
inline constexpr std::string_view kAlertName = "alertname";

// An owned label, for building label sets (Labels copies it into its own buffer).
struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// A label inside a Labels: views into that set's buffer, valid while the set lives and is
// neither assigned to nor moved (a small set's bytes live inside the object, so a move —
// into a container, a vector that grows, a map that rehashes — relocates them).
struct LabelView {
  std::string_view name;
  std::string_view value;
  Label Owned() const { return Label{std::string(name), std::string(value)}; }
  bool operator==(const LabelView&) const = default;
  auto operator<=>(const LabelView&) const = default;
};

// An immutable-by-convention set of labels, sorted by name with unique names; the data
// model of a series or an alert (Prometheus `model/labels`). Empty values are dropped,
// as Prometheus treats `a=""` and no `a` alike.
//
// Stored as one buffer of length-prefixed names and values (Prometheus's "stringlabels"
// layout): a series' labels are one allocation of about their text's size instead of a
// vector of string pairs (≈ 150 B instead of ≈ 450 B for a typical 7-label series), and a
// copy is one allocation. Iteration yields LabelView.
class Labels {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using pointer = const LabelView*;
    // By value: a LabelView is two views into the set, and a reference into the iterator
    // would dangle when the iterator is a temporary.
    using reference = LabelView;

    const_iterator() = default;
    LabelView operator*() const { return cur_; }
    const LabelView* operator->() const { return &cur_; }
    const_iterator& operator++() {
      p_ = next_;
      Load();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return p_ == o.p_; }

   private:
    friend class Labels;
    const_iterator(const char* p, const char* end) : p_(p), end_(end) { Load(); }
    void Load();
    const char* p_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    LabelView cur_;
  };
  using iterator = const_iterator;
  using value_type = LabelView;

  Labels() = default;
  // Sorts; on a duplicate name the last one wins. Drops empty values.
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> labels);
  // From labels already sorted by name with unique names (empty values are still dropped);
  // the caller's promise is checked in debug builds (an unsorted buffer would break ==).
  static Labels FromSorted(std::initializer_list<LabelView> labels);
  template <typename It>
  static Labels FromSorted(It begin, It end) {
    Labels out;
    out.AssignSorted(begin, end);
    return out;
  }
  // FromSorted into this set, reusing its buffer: decoding many sets in a row allocates
  // only when one is longer than all before.
  template <typename It>
  void AssignSorted(It begin, It end) {
    data_.clear();
    [[maybe_unused]] std::string_view prev;
    for (bool first = true; begin != end; ++begin, first = false) {
      assert(first || prev < std::string_view(begin->name));
      prev = begin->name;
      Append(begin->name, begin->value);
    }
  }

  bool empty() const { return data_.empty(); }
  // O(labels).
  size_t size() const;
  const_iterator begin() const { return const_iterator(data_.data(), data_.data() + data_.size()); }
  const_iterator end() const {
    const char* e = data_.data() + data_.size();
    return const_iterator(e, e);
  }
  // The labels as owned pairs (for code that edits a set and builds a new one).
  std::vector<Label> ToVector() const;

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;

  // Copies with one label set (empty value removes it) or removed.
  Labels With(std::string_view name, std::string_view value) const;
  Labels Without(std::string_view name) const;

  // Alertmanager's / Prometheus common/model fingerprint: FNV-1a 64 over sorted
  // name 0xff value 0xff. Equal to what Alertmanager puts in webhook payloads.
  uint64_t Fingerprint() const;
  // The fingerprint as 16 lowercase hex digits.
  std::string FingerprintHex() const;

  // Prometheus's Labels.String(): {a="1", b="2"} with values escaped as Go's %q.
  std::string ToString() const;
  // Exposition form: name{a="1",b="2"} (no braces when only __name__ is present).
  std::string ToExposition() const;

  // The canonical encoding: equal sets have equal bytes and unequal sets unequal ones. For
  // hashing and map keys inside a process; not a format to store or send.
  std::string_view bytes() const { return data_; }

  // Heap bytes the buffer holds beyond sizeof(Labels) (0 when it fits inline).
  size_t HeapBytes() const;

  // The encoding is canonical (sorted, unique, no empty values), so equal sets have equal
  // buffers.
  bool operator==(const Labels& o) const { return data_ == o.data_; }
  // Label by label, name then value, a shorter prefix first: Prometheus's labels.Compare
  // order (and the order of a sorted vector of name/value pairs).
  std::strong_ordering operator<=>(const Labels& o) const;

 private:
  // Appends a label after the current last one (no sorting); skips empty values.
  void Append(std::string_view name, std::string_view value);
  // For each label: varint(name size) name varint(value size) value.
  std::string data_;
};

// Prometheus's name rules: label names [a-zA-Z_][a-zA-Z0-9_]*, metric names
// [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

// Go's strconv.Quote / %q for the bytes label values and queries hold: escapes for
// quote, backslash and control characters (\n, \t, \x1b...), other bytes as they are.
std::string GoQuote(std::string_view s);

// Escapes a label value as in the text exposition format: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view value);

struct LabelsHash {
  size_t operator()(const Labels& l) const { return static_cast<size_t>(l.Fingerprint()); }
};

}  // namespace vigil::labels
