#include "services/notifier/json_reader.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "lib/json/go_string.h"

namespace vigil::notifier {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

class Reader {
 public:
  Reader(std::string_view text, JsonEvents* events)
      : p_(text.data()), end_(text.data() + text.size()), events_(events) {}

  bool Run() {
    // Containers open around the current position: '{' or '['.
    std::vector<char> open;
    while (true) {
      // A value is expected here.
      SkipSpace();
      if (p_ == end_) return false;
      const char c = *p_;
      bool closed_at_once = false;
      if (c == '{' || c == '[') {
        if (open.size() >= static_cast<size_t>(kMaxJsonDepth)) return false;
        ++p_;
        if (!(c == '{' ? events_->StartObject() : events_->StartArray())) return false;
        SkipSpace();
        const char close = c == '{' ? '}' : ']';
        if (p_ < end_ && *p_ == close) {
          ++p_;
          if (!(c == '{' ? events_->EndObject() : events_->EndArray())) return false;
          closed_at_once = true;
        } else {
          open.push_back(c);
          if (c == '{' && !ReadKey()) return false;
          continue;
        }
      }
      if (!closed_at_once && !ReadScalar()) return false;
      // After a value: a comma, or the end of containers, or of the text.
      while (true) {
        SkipSpace();
        if (open.empty()) return p_ == end_;
        if (p_ == end_) return false;
        const char d = *p_++;
        if (d == ',') {
          if (open.back() == '{' && !ReadKey()) return false;
          break;  // the next value
        }
        if (d == (open.back() == '{' ? '}' : ']')) {
          const bool object = open.back() == '{';
          open.pop_back();
          if (!(object ? events_->EndObject() : events_->EndArray())) return false;
          continue;
        }
        return false;
      }
    }
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // A member's name and the colon after it.
  bool ReadKey() {
    SkipSpace();
    if (p_ == end_ || *p_ != '"' || !ReadString()) return false;
    if (!events_->Key(buf_)) return false;
    SkipSpace();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  bool ReadScalar() {
    const char c = *p_;
    if (c == '"') return ReadString() && events_->String(buf_);
    if (c == 't') return Literal("true") && events_->Boolean(true);
    if (c == 'f') return Literal("false") && events_->Boolean(false);
    if (c == 'n') return Literal("null") && events_->Null();
    return ReadNumber();
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ReadNumber() {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    return events_->Number(std::string_view(start, static_cast<size_t>(p_ - start)));
  }

  // Four hex digits at p_ + offset; -1 when not.
  int32_t Hex4(size_t offset) const {
    if (static_cast<size_t>(end_ - p_) < offset + 4) return -1;
    int32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int h = HexValue(p_[offset + i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  }

  // The string at p_ (its opening quote) into buf_.
  bool ReadString() {
    ++p_;
    buf_.clear();
    while (true) {
      const char* run = p_;
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
        ++p_;
      }
      buf_.append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c >= 0x80) {
        const int n = json::GoUtf8Length(reinterpret_cast<const unsigned char*>(p_),
                                   static_cast<size_t>(end_ - p_));
        if (n == 0) {
          buf_.append(kReplacement);
          ++p_;
        } else {
          buf_.append(p_, static_cast<size_t>(n));
          p_ += n;
        }
        continue;
      }
      if (!ReadEscape()) return false;
    }
  }

  // The escape at p_ (its backslash), decoded into buf_.
  bool ReadEscape() {
    if (end_ - p_ < 2) return false;
    const char e = p_[1];
    const char* simple = nullptr;
    switch (e) {
      case '"': simple = "\""; break;
      case '\\': simple = "\\"; break;
      case '/': simple = "/"; break;
      case 'b': simple = "\b"; break;
      case 'f': simple = "\f"; break;
      case 'n': simple = "\n"; break;
      case 'r': simple = "\r"; break;
      case 't': simple = "\t"; break;
      case 'u': break;
      default: return false;
    }
    if (simple != nullptr) {
      buf_.push_back(*simple);
      p_ += 2;
      return true;
    }
    const int32_t r = Hex4(2);
    if (r < 0) return false;
    p_ += 6;
    if (r < 0xD800 || r > 0xDFFF) {
      AppendUtf8(static_cast<uint32_t>(r), &buf_);
      return true;
    }
    // A surrogate: valid only as a high one followed by an escaped low one (Go's
    // utf16.DecodeRune); otherwise U+FFFD for this escape alone.
    if (r < 0xDC00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
      const int32_t low = Hex4(2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        p_ += 6;
        AppendUtf8(0x10000 + ((static_cast<uint32_t>(r) - 0xD800) << 10) +
                       (static_cast<uint32_t>(low) - 0xDC00),
                   &buf_);
        return true;
      }
    }
    buf_.append(kReplacement);
    return true;
  }

  const char* p_;
  const char* const end_;
  JsonEvents* const events_;
  std::string buf_;  // the string being read, reused
};

}  // namespace

bool ReadJson(std::string_view text, JsonEvents* events) { return Reader(text, events).Run(); }

bool GoFieldNameMatches(std::string_view key, std::string_view field) {
  if (key == field) return true;
  constexpr std::string_view kLongS = "\xC5\xBF", kKelvin = "\xE2\x84\xAA";
  size_t k = 0;
  for (const char f : field) {
    const char lower = absl::ascii_tolower(static_cast<unsigned char>(f));
    if (k < key.size() && absl::ascii_tolower(static_cast<unsigned char>(key[k])) == lower) {
      ++k;
    } else if (lower == 's' && key.substr(k, kLongS.size()) == kLongS) {
      k += kLongS.size();
    } else if (lower == 'k' && key.substr(k, kKelvin.size()) == kKelvin) {
      k += kKelvin.size();
    } else {
      return false;
    }
  }
  return k == key.size();
}

}  // namespace vigil::notifier
