#include "lib/expfmt/text_parser.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "lib/expfmt/char_class.h"

namespace vigil::expfmt {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::optional<double> ParseFloat(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  // Fast path for plain decimals (nearly every value): from_chars rounds correctly, as Go
  // does, and only strings that start with a digit or '.' (after a '-') go
  // there, so no sign '+', hex, inf or nan. Anything it does not consume whole,
  // including out-of-range values, takes the checks below.
  size_t first = s[0] == '-' ? 1 : 0;
  if (first < s.size() && (absl::ascii_isdigit(s[first]) || s[first] == '.')) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
  }
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (absl::EqualsIgnoreCase(ToAbsl(body), "inf") ||
      absl::EqualsIgnoreCase(ToAbsl(body), "infinity")) {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (absl::EqualsIgnoreCase(ToAbsl(body), "nan")) {
    if (s[0] == '+' || s[0] == '-') return std::nullopt;  // Go rejects signed NaN
    return std::numeric_limits<double>::quiet_NaN();
  }
  // Only decimal digits, '.', exponent and underscores-free forms; reject hex/words strtod takes.
  for (char c : body) {
    if (!(absl::ascii_isdigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  char buf[72];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size()) return std::nullopt;
  // Go returns ±Inf with an error on overflow; Prometheus rejects those values.
  if (errno == ERANGE && std::isinf(v)) return std::nullopt;
  return v;
}

absl::Status TextParser::Error(size_t pos, std::string_view what) const {
  return absl::InvalidArgumentError(
      StrCat("line ", line_no_, ", column ", pos - line_start_ + 1, ": ", what));
}

void TextParser::SkipBlanks(size_t& pos, size_t line_end) const {
  while (pos < line_end && IsBlank(input_[pos])) ++pos;
}

absl::StatusOr<Entry> TextParser::Next() {
  while (!done_) {
    if (pos_ >= input_.size()) {
      done_ = true;
      break;
    }
    line_start_ = pos_;
    ++line_no_;
    size_t line_end = input_.find('\n', pos_);
    if (line_end == std::string_view::npos) line_end = input_.size();
    pos_ = line_end + 1;
    size_t p = line_start_;
    SkipBlanks(p, line_end);
    if (p == line_end) continue;  // blank line
    absl::StatusOr<Entry> entry;
    if (input_[p] == '#') {
      entry = ParseComment(line_end);
    } else {
      absl::Status s = ParseSeries(line_end);
      if (s.ok())
        entry = Entry::kSeries;
      else
        entry = s;
    }
    if (!entry.ok()) done_ = true;
    return entry;
  }
  return Entry::kEof;
}

absl::StatusOr<Entry> TextParser::ParseComment(size_t line_end) {
  size_t p = line_start_;
  SkipBlanks(p, line_end);
  ++p;  // '#'
  SkipBlanks(p, line_end);
  size_t word_start = p;
  while (p < line_end && !IsBlank(input_[p])) ++p;
  std::string_view word = input_.substr(word_start, p - word_start);
  if (word != "HELP" && word != "TYPE") return Entry::kComment;
  SkipBlanks(p, line_end);
  size_t name_start = p;
  if (p >= line_end || !IsNameStart(input_[p])) return Error(p, "invalid metric name in comment");
  while (p < line_end && IsNameChar(input_[p])) ++p;
  family_ = input_.substr(name_start, p - name_start);
  if (p < line_end && !IsBlank(input_[p])) return Error(p, "invalid metric name in comment");
  SkipBlanks(p, line_end);
  std::string_view rest = input_.substr(p, line_end - p);
  if (word == "HELP") {
    help_.clear();
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) {
        char n = rest[++i];
        if (n == 'n')
          help_.push_back('\n');
        else if (n == '\\')
          help_.push_back('\\');
        else {
          help_.push_back('\\');
          help_.push_back(n);
        }
      } else {
        help_.push_back(rest[i]);
      }
    }
    return Entry::kHelp;
  }
  while (!rest.empty() && IsBlank(rest.back())) rest.remove_suffix(1);
  if (rest == "counter")
    type_ = MetricType::kCounter;
  else if (rest == "gauge")
    type_ = MetricType::kGauge;
  else if (rest == "histogram")
    type_ = MetricType::kHistogram;
  else if (rest == "summary")
    type_ = MetricType::kSummary;
  else if (rest == "untyped")
    type_ = MetricType::kUntyped;
  else
    return Error(p, StrCat("invalid metric type \"", rest, "\""));
  return Entry::kType;
}

absl::Status TextParser::ParseLabels(size_t& p, size_t line_end) const {
  ++p;  // '{'
  while (true) {
    SkipBlanks(p, line_end);
    if (p >= line_end) return Error(p, "unexpected end of line in label set");
    if (input_[p] == '}') {
      ++p;
      return absl::OkStatus();
    }
    if (!IsLabelStart(input_[p])) return Error(p, "invalid label name");
    size_t name_start = p;
    while (p < line_end && IsLabelChar(input_[p])) ++p;
    std::string_view name = input_.substr(name_start, p - name_start);
    SkipBlanks(p, line_end);
    if (p >= line_end || input_[p] != '=') return Error(p, "expected '=' after label name");
    ++p;
    SkipBlanks(p, line_end);
    if (p >= line_end || input_[p] != '"') return Error(p, "expected '\"' to start label value");
    ++p;
    size_t value_start = p;
    bool escaped = false;
    while (true) {
      if (p >= line_end) return Error(p, "unterminated label value");
      char c = input_[p];
      if (c == '"') break;
      if (c == '\\') {
        if (p + 1 >= line_end) return Error(p, "unterminated escape in label value");
        char n = input_[p + 1];
        if (n != 'n' && n != '\\' && n != '"') {
          return Error(p, StrCat("invalid escape sequence \"\\", std::string(1, n), "\""));
        }
        escaped = true;
        p += 2;
        continue;
      }
      ++p;
    }
    size_t value_size = p - value_start;
    ++p;  // closing quote
    if (name == labels::kMetricName)
      return Error(name_start, "label name \"__name__\" is reserved");
    for (const LabelSpan& l : spans_) {
      if (input_.substr(l.name_begin, l.name_size) == name) {
        return Error(name_start, StrCat("duplicate label name \"", name, "\""));
      }
    }
    spans_.push_back(LabelSpan{name_start, name.size(), value_start, value_size, escaped});
    SkipBlanks(p, line_end);
    if (p < line_end && input_[p] == ',') {
      ++p;
      continue;
    }
    if (p < line_end && input_[p] == '}') continue;
    return Error(p, "expected ',' or '}' in label set");
  }
}

void TextParser::FillLabels() const {
  if (spans_pending_) {
    spans_pending_ = false;
    spans_.clear();
    size_t start = static_cast<size_t>(series_text_.data() - input_.data());
    size_t brace = series_text_.find('{');
    if (brace != std::string_view::npos) {
      size_t p = start + brace;
      (void)ParseLabels(p, start + series_text_.size());  // valid: it parsed before
    }
  }
  labels_.clear();
  labels_.reserve(spans_.size());
  for (const LabelSpan& l : spans_) {
    std::string_view raw = input_.substr(l.value_begin, l.value_size);
    std::string value;
    if (!l.escaped) {
      value.assign(raw);
    } else {
      value.reserve(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
          value.push_back(raw[i]);
          continue;
        }
        char n = raw[++i];  // ParseLabels checked that a valid escape follows
        value.push_back(n == 'n' ? '\n' : n);
      }
    }
    labels_.push_back(labels::Label{std::string(input_.substr(l.name_begin, l.name_size)),
                                    std::move(value)});
  }
}

bool TextParser::ParseKnownSeries(size_t line_end) {
  // The line must read `series blanks value [blanks timestamp] [blanks] [\r]` with a
  // series text the lookup knows; anything else (or a bad value or timestamp, whose error
  // the full parse words) takes the full parse.
  size_t p = line_start_;
  SkipBlanks(p, line_end);
  size_t e = line_end;
  if (e > p && input_[e - 1] == '\r') --e;
  while (e > p && IsBlank(input_[e - 1])) --e;
  auto token_before = [&](size_t end) {
    size_t b = end;
    while (b > p && !IsBlank(input_[b - 1])) --b;
    return b;
  };
  auto blanks_before = [&](size_t end) {
    size_t b = end;
    while (b > p && IsBlank(input_[b - 1])) --b;
    return b;
  };
  size_t last = token_before(e);
  if (last <= p) return false;
  size_t last_series_end = blanks_before(last);
  std::string_view value_text, ts_text;
  std::optional<int64_t> found;
  std::string_view text = input_.substr(p, last_series_end - p);
  if (!text.empty() && (found = lookup_(text))) {
    value_text = input_.substr(last, e - last);
  } else {
    size_t prev = token_before(last_series_end);
    if (prev <= p) return false;
    size_t series_end = blanks_before(prev);
    text = input_.substr(p, series_end - p);
    if (text.empty() || !(found = lookup_(text))) return false;
    value_text = input_.substr(prev, last_series_end - prev);
    ts_text = input_.substr(last, e - last);
  }
  if (value_text.find('\r') != std::string_view::npos ||
      ts_text.find('\r') != std::string_view::npos) {
    return false;
  }
  std::optional<double> v = ParseFloat(value_text);
  if (!v) return false;
  int64_t ts = 0;
  if (!ts_text.empty() && !absl::SimpleAtoi(ToAbsl(ts_text), &ts)) return false;
  size_t name_end = 0;
  while (name_end < text.size() && IsNameChar(text[name_end])) ++name_end;
  name_ = text.substr(0, name_end);
  series_text_ = text;
  value_ = *v;
  timestamp_ms_.reset();
  if (!ts_text.empty()) timestamp_ms_ = ts;
  known_ = found;
  labels_.clear();
  labels_ready_ = false;
  spans_pending_ = true;
  return true;
}

absl::Status TextParser::ParseSeries(size_t line_end) {
  known_.reset();
  if (lookup_ && ParseKnownSeries(line_end)) return absl::OkStatus();
  spans_pending_ = false;
  size_t p = line_start_;
  SkipBlanks(p, line_end);
  spans_.clear();
  labels_.clear();
  labels_ready_ = false;
  timestamp_ms_.reset();
  if (!IsNameStart(input_[p])) return Error(p, "invalid metric name");
  size_t name_start = p;
  while (p < line_end && IsNameChar(input_[p])) ++p;
  name_ = input_.substr(name_start, p - name_start);
  size_t after_name = p;
  SkipBlanks(p, line_end);
  size_t before_value = after_name;
  if (p < line_end && input_[p] == '{') {
    if (absl::Status s = ParseLabels(p, line_end); !s.ok()) return s;
    before_value = p;
    series_text_ = input_.substr(name_start, p - name_start);
    SkipBlanks(p, line_end);
  } else {
    series_text_ = name_;
  }
  if (p == before_value && p < line_end) return Error(p, "expected blank before value");
  size_t value_start = p;
  while (p < line_end && !IsBlank(input_[p]) && input_[p] != '\r') ++p;
  if (p == value_start) return Error(p, "expected value");
  std::optional<double> v = ParseFloat(input_.substr(value_start, p - value_start));
  if (!v) {
    return Error(value_start,
                 StrCat("invalid value \"", input_.substr(value_start, p - value_start), "\""));
  }
  value_ = *v;
  SkipBlanks(p, line_end);
  if (p < line_end && input_[p] != '\r') {
    size_t ts_start = p;
    while (p < line_end && !IsBlank(input_[p]) && input_[p] != '\r') ++p;
    int64_t ts = 0;
    if (!absl::SimpleAtoi(ToAbsl(input_.substr(ts_start, p - ts_start)), &ts)) {
      return Error(ts_start,
                   StrCat("invalid timestamp \"", input_.substr(ts_start, p - ts_start), "\""));
    }
    timestamp_ms_ = ts;
    SkipBlanks(p, line_end);
  }
  if (p < line_end && input_[p] == '\r') ++p;
  if (p != line_end) return Error(p, "unexpected text after sample");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ParsedSample>> ParseAll(std::string_view input) {
  TextParser parser(input);
  std::vector<ParsedSample> out;
  while (true) {
    absl::StatusOr<Entry> e = parser.Next();
    if (!e.ok()) return e.status();
    if (*e == Entry::kEof) break;
    if (*e != Entry::kSeries) continue;
    out.push_back(ParsedSample{parser.Labels(), parser.value(), parser.timestamp_ms()});
  }
  return out;
}

}  // namespace vigil::expfmt
