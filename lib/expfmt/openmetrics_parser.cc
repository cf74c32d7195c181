#include "lib/expfmt/openmetrics_parser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "lib/base/format.h"
#include "lib/expfmt/char_class.h"
#include "lib/expfmt/text_parser.h"

namespace vigil::expfmt {
namespace {

// OpenMetrics limits an exemplar's label names and values to 128 UTF-8 code points.
constexpr size_t kMaxExemplarRunes = 128;

size_t CountRunes(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Prometheus: int64(ts * 1000), truncating toward zero. Out-of-range values saturate
// rather than overflow.
int64_t SecondsToMs(double seconds) {
  double ms = seconds * 1000;
  constexpr double kLimit = 9.2e18;
  if (ms >= kLimit) return std::numeric_limits<int64_t>::max();
  if (ms <= -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(ms);
}

// HELP text escapes: \\ and \n (and \" for symmetry with label values); anything else
// after a backslash is kept as written.
std::string UnescapeHelp(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      char n = in[i + 1];
      if (n == 'n') {
        out.push_back('\n');
        ++i;
        continue;
      }
      if (n == '\\' || n == '"') {
        out.push_back(n);
        ++i;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::optional<MetricType> ParseType(std::string_view s) {
  if (s == "counter") return MetricType::kCounter;
  if (s == "gauge") return MetricType::kGauge;
  if (s == "histogram") return MetricType::kHistogram;
  if (s == "gaugehistogram") return MetricType::kGaugeHistogram;
  if (s == "summary") return MetricType::kSummary;
  if (s == "stateset") return MetricType::kStateset;
  if (s == "info") return MetricType::kInfo;
  if (s == "unknown") return MetricType::kUnknown;
  return std::nullopt;
}

// The sample-name suffixes a family of each type may use (the OpenMetrics reference parser's
// type_suffixes).
std::vector<std::string_view> Suffixes(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return {"_total", "_created"};
    case MetricType::kSummary:
      return {"", "_count", "_sum", "_created"};
    case MetricType::kHistogram:
      return {"_count", "_sum", "_bucket", "_created"};
    case MetricType::kGaugeHistogram:
      return {"_gcount", "_gsum", "_bucket"};
    case MetricType::kInfo:
      return {"_info"};
    default:
      return {""};
  }
}

const std::string* Find(const std::vector<labels::Label>& ls, std::string_view name) {
  for (const auto& l : ls) {
    if (l.name == name) return &l.value;
  }
  return nullptr;
}

bool IsInteger(double v) { return std::isfinite(v) && v == std::floor(v); }

}  // namespace

// The family-level rules of OpenMetrics 1.0, as the reference parser
// (prometheus_client.openmetrics.parser) checks them. Fed one line at a time; a returned
// error is about the current line.
class OpenMetricsParser::FamilyChecker {
 public:
  absl::Status OnMetadata(std::string_view kind, std::string_view name, std::string_view text) {
    if (active_ && name == name_ && samples_ > 0) {
      return absl::InvalidArgumentError(StrCat("metadata for \"", name, "\" after its samples"));
    }
    if (!active_ || name != name_) {
      if (active_) {
        if (absl::Status s = Build(); !s.ok()) return s;
      }
      Start(name);
    }
    if (kind == "HELP") {
      if (has_help_) return absl::InvalidArgumentError(StrCat("second HELP for \"", name, "\""));
      has_help_ = true;
    } else if (kind == "TYPE") {
      if (has_type_) return absl::InvalidArgumentError(StrCat("second TYPE for \"", name, "\""));
      has_type_ = true;
      type_ = *ParseType(text);
      allowed_.clear();
      for (std::string_view s : Suffixes(type_)) allowed_.push_back(StrCat(name_, s));
    } else {
      if (has_unit_) return absl::InvalidArgumentError(StrCat("second UNIT for \"", name, "\""));
      has_unit_ = true;
      unit_ = std::string(text);
    }
    return absl::OkStatus();
  }

  absl::Status OnSample(std::string_view name, const std::vector<labels::Label>& ls, double v,
                        std::optional<double> ts, bool has_exemplar) {
    if (!active_ || std::find(allowed_.begin(), allowed_.end(), name) == allowed_.end()) {
      if (active_) {
        if (absl::Status s = Build(); !s.ok()) return s;
      }
      Start(name);
    }
    auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(StrCat(parts...)); };
    std::string_view suffix = name.substr(name_.size());
    bool is_histogram = type_ == MetricType::kHistogram || type_ == MetricType::kGaugeHistogram;
    if (type_ == MetricType::kStateset && Find(ls, name_) == nullptr) {
      return bad("stateset sample without a \"", name_, "\" label");
    }
    double le = 0;
    if (suffix == "_bucket") {
      const std::string* le_text = Find(ls, "le");
      std::optional<double> parsed = le_text ? ParseFloat(*le_text) : std::nullopt;
      if (!parsed || std::isnan(*parsed) ||
          (std::isinf(*parsed) && *le_text != "+Inf" && *le_text != "-Inf")) {
        return bad("bucket without a valid \"le\" label");
      }
      le = *parsed;
      if (!IsInteger(v)) return bad("bucket value must be an integer");
    }
    if ((suffix == "_count" || suffix == "_gcount") && !IsInteger(v)) {
      return bad("count value must be an integer");
    }
    if (type_ == MetricType::kSummary && suffix.empty()) {
      const std::string* q_text = Find(ls, "quantile");
      std::optional<double> q = q_text ? ParseFloat(*q_text) : std::nullopt;
      if (!q || !(*q >= 0 && *q <= 1)) return bad("quantile label must be between 0 and 1");
    }
    std::string group = GroupKey(name, ls, false);
    if (has_group_ && group != group_ && seen_groups_.contains(group)) {
      return bad("samples of one group are not together");
    }
    if (has_group_ && group == group_) {
      if (ts.has_value() != group_ts_.has_value()) {
        return bad("some samples of a group have a timestamp and some not");
      }
      if (ts && *group_ts_ > *ts && type_ != MetricType::kInfo) {
        return bad("timestamps went backwards within a group");
      }
    }
    has_group_ = true;
    group_ = group;
    group_ts_ = ts;
    seen_groups_.insert(std::move(group));

    if (type_ == MetricType::kStateset && v != 0 && v != 1)
      return bad("stateset value must be 0 or 1");
    if (type_ == MetricType::kInfo && v != 1) return bad("info value must be 1");
    if (type_ == MetricType::kSummary && suffix.empty() && v < 0) {
      return bad("quantile value must not be negative");
    }
    for (std::string_view s : {"_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"}) {
      if (suffix != s) continue;
      if (std::isnan(v)) return bad("counter-like value must not be NaN");
      if (s != "_gsum" && v < 0) return bad("counter-like value must not be negative");
    }
    if (has_exemplar && !((is_histogram && suffix == "_bucket") ||
                          (type_ == MetricType::kCounter && suffix == "_total"))) {
      return bad("only histogram buckets and counter totals may have exemplars");
    }
    if (is_histogram) {
      histogram_.push_back({std::string(suffix), GroupKey(name, ls, true), le, v, ts});
    }
    ++samples_;
    return absl::OkStatus();
  }

  absl::Status Finish() { return active_ ? Build() : absl::OkStatus(); }

 private:
  struct HistogramSample {
    std::string suffix;
    std::string group;
    double le;
    double value;
    std::optional<double> ts;
  };

  void Start(std::string_view name) {
    active_ = true;
    name_ = std::string(name);
    has_help_ = has_type_ = has_unit_ = false;
    type_ = MetricType::kUnknown;
    unit_.clear();
    allowed_ = {name_};
    samples_ = 0;
    has_group_ = false;
    group_.clear();
    group_ts_.reset();
    seen_groups_.clear();
    histogram_.clear();
  }

  // The labels identifying a sample's group: all but the per-sample label of its type.
  std::string GroupKey(std::string_view name, std::vector<labels::Label> ls,
                       bool for_histogram) const {
    std::string_view drop;
    if (type_ == MetricType::kInfo && !for_histogram) return "";
    if (type_ == MetricType::kSummary && name == name_) drop = "quantile";
    if (type_ == MetricType::kStateset) drop = name_;
    if ((for_histogram || type_ == MetricType::kHistogram ||
         type_ == MetricType::kGaugeHistogram) &&
        name == name_ + "_bucket") {
      drop = "le";
    }
    std::sort(ls.begin(), ls.end());
    std::string key;
    for (const auto& l : ls) {
      if (l.name == drop) continue;
      key += StrCat(l.name, "\x01", l.value, "\x02");
    }
    return key;
  }

  absl::Status Build() {
    active_ = false;
    auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(StrCat(parts...)); };
    std::set<std::string_view> suffixes;
    for (std::string_view s : Suffixes(type_)) suffixes.insert(s);
    suffixes.insert("");
    for (std::string_view s : suffixes) {
      std::string full = StrCat(name_, s);
      if (seen_names_.contains(full)) {
        return bad("metric family name \"", full, "\" clashes with an earlier family");
      }
      seen_names_.insert(full);
    }
    if (!unit_.empty()) {
      if (!absl::EndsWith(name_, StrCat("_", unit_))) {
        return bad("metric name \"", name_, "\" does not end with its unit \"_", unit_, "\"");
      }
      if (type_ == MetricType::kInfo || type_ == MetricType::kStateset) {
        return bad("a unit is not allowed for an ", MetricTypeName(type_));
      }
    }
    if (type_ == MetricType::kHistogram || type_ == MetricType::kGaugeHistogram) {
      return CheckHistogram();
    }
    return absl::OkStatus();
  }

  absl::Status CheckHistogram() const {
    auto bad = [this](std::string_view what) {
      return absl::InvalidArgumentError(StrCat("histogram \"", name_, "\": ", what));
    };
    struct State {
      std::optional<double> count, bucket;
      bool negative_buckets = false, sum = false, gsum = false, negative_gsum = false;
      double value = 0;
    } st;
    auto check = [&](const State& s) -> absl::Status {
      if (s.bucket != std::numeric_limits<double>::infinity()) return bad("+Inf bucket missing");
      if (s.count && s.value != *s.count) return bad("_count does not match the +Inf bucket");
      if (s.sum && !s.count) return bad("_sum without _count");
      if (s.gsum && !s.count) return bad("_gsum without _gcount");
      if (!(s.sum || s.gsum) && s.count) return bad("_count without _sum");
      if (s.negative_buckets && s.sum) return bad("_sum with negative buckets");
      if (!s.negative_buckets && s.negative_gsum)
        return bad("negative _gsum without negative buckets");
      return absl::OkStatus();
    };
    const HistogramSample* prev = nullptr;
    for (const HistogramSample& h : histogram_) {
      if (prev == nullptr || h.group != prev->group || h.ts != prev->ts) {
        if (prev != nullptr) {
          if (absl::Status s = check(st); !s.ok()) return s;
        }
        st = State{};
      }
      prev = &h;
      if (h.suffix == "_bucket") {
        if (h.le < 0) st.negative_buckets = true;
        if (st.bucket && h.le <= *st.bucket) return bad("buckets out of order");
        if (h.value < st.value) return bad("bucket values out of order");
        st.bucket = h.le;
        st.value = h.value;
      } else if (h.suffix == "_count" || h.suffix == "_gcount") {
        st.count = h.value;
      } else if (h.suffix == "_sum") {
        st.sum = true;
      } else if (h.suffix == "_gsum") {
        st.gsum = true;
        if (h.value < 0) st.negative_gsum = true;
      }
    }
    return prev == nullptr ? absl::OkStatus() : check(st);
  }

  bool active_ = false;
  std::string name_;
  bool has_help_ = false, has_type_ = false, has_unit_ = false;
  MetricType type_ = MetricType::kUnknown;
  std::string unit_;
  std::vector<std::string> allowed_;
  size_t samples_ = 0;
  bool has_group_ = false;
  std::string group_;
  std::optional<double> group_ts_;
  std::set<std::string> seen_groups_;
  std::vector<HistogramSample> histogram_;
  std::set<std::string> seen_names_;
};

OpenMetricsParser::OpenMetricsParser(std::string_view input, OpenMetricsOptions options)
    : input_(input), options_(options) {
  if (options_.check_families) checker_ = std::make_unique<FamilyChecker>();
}

OpenMetricsParser::~OpenMetricsParser() = default;

absl::Status OpenMetricsParser::Error(size_t pos, std::string_view what) const {
  return absl::InvalidArgumentError(
      StrCat("line ", line_no_, ", column ", pos - line_start_ + 1, ": ", what));
}

absl::StatusOr<Entry> OpenMetricsParser::Next() {
  if (done_) return Entry::kEof;
  line_start_ = pos_;
  ++line_no_;
  if (pos_ >= input_.size()) {
    done_ = true;
    return Error(pos_, "data does not end with \"# EOF\"");
  }
  size_t line_end = input_.find('\n', pos_);
  if (line_end == std::string_view::npos) line_end = input_.size();
  pos_ = line_end + 1;
  absl::StatusOr<Entry> entry;
  if (line_end == line_start_) {
    entry = Error(line_start_, "blank line");
  } else if (input_[line_start_] == '#') {
    entry = ParseMetadata(line_end);
  } else if (absl::Status s = ParseSeries(line_end); s.ok()) {
    entry = Entry::kSeries;
  } else {
    entry = s;
  }
  if (entry.ok() && *entry == Entry::kEof) {
    done_ = true;
    if (pos_ < input_.size()) {
      ++line_no_;
      line_start_ = pos_;
      return Error(pos_, "unexpected data after \"# EOF\"");
    }
    if (checker_) {
      if (absl::Status s = checker_->Finish(); !s.ok())
        return Error(line_start_, ToStd(s.message()));
    }
  }
  if (!entry.ok()) done_ = true;
  return entry;
}

absl::StatusOr<Entry> OpenMetricsParser::ParseMetadata(size_t line_end) {
  std::string_view line = input_.substr(line_start_, line_end - line_start_);
  if (line == "# EOF") return Entry::kEof;
  if (line.size() < 2 || line[1] != ' ') {
    return Error(line_start_ + 1, "expected \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\"");
  }
  size_t p = line_start_ + 2;
  size_t kw_start = p;
  while (p < line_end && input_[p] != ' ') ++p;
  std::string_view kind = input_.substr(kw_start, p - kw_start);
  if (kind != "HELP" && kind != "TYPE" && kind != "UNIT") {
    return Error(kw_start, "expected \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\"");
  }
  if (p == line_end) return Error(p, StrCat("expected a metric name after \"# ", kind, "\""));
  ++p;
  size_t name_start = p;
  if (p >= line_end || !IsNameStart(input_[p])) return Error(p, "invalid metric name");
  while (p < line_end && IsNameChar(input_[p])) ++p;
  std::string_view name = input_.substr(name_start, p - name_start);
  if (p >= line_end || input_[p] != ' ') {
    return Error(p, StrCat("expected a space and the ",
                           kind == "HELP"   ? "help text"
                           : kind == "TYPE" ? "type"
                                            : "unit",
                           " after the metric name"));
  }
  ++p;
  std::string_view rest = input_.substr(p, line_end - p);
  family_ = name;
  Entry entry;
  if (kind == "HELP") {
    help_ = UnescapeHelp(rest);
    entry = Entry::kHelp;
  } else if (kind == "TYPE") {
    std::optional<MetricType> t = ParseType(rest);
    if (!t) return Error(p, StrCat("invalid metric type \"", rest, "\""));
    type_ = *t;
    entry = Entry::kType;
  } else {
    for (size_t i = p; i < line_end; ++i) {
      if (!IsNameChar(input_[i])) return Error(i, "invalid character in unit");
    }
    unit_ = rest;
    entry = Entry::kUnit;
  }
  if (checker_) {
    if (absl::Status s = checker_->OnMetadata(kind, name, rest); !s.ok()) {
      return Error(line_start_, ToStd(s.message()));
    }
  }
  return entry;
}

absl::Status OpenMetricsParser::ParseLabelSet(size_t& p, size_t line_end,
                                              std::vector<labels::Label>* out, bool exemplar) {
  ++p;  // '{'
  if (p < line_end && input_[p] == '}') {
    ++p;
    return absl::OkStatus();
  }
  while (true) {
    if (p >= line_end || !IsLabelStart(input_[p])) return Error(p, "invalid label name");
    size_t name_start = p;
    while (p < line_end && IsLabelChar(input_[p])) ++p;
    std::string name(input_.substr(name_start, p - name_start));
    if (p >= line_end || input_[p] != '=') return Error(p, "expected \"=\" after label name");
    ++p;
    if (p >= line_end || input_[p] != '"') return Error(p, "expected '\"' to start label value");
    ++p;
    std::string value;
    while (true) {
      if (p >= line_end) return Error(p, "unterminated label value");
      char c = input_[p];
      if (c == '"') break;
      if (c == '\\' && p + 1 < line_end) {
        char n = input_[p + 1];
        if (n == 'n' || n == '\\' || n == '"') {
          value.push_back(n == 'n' ? '\n' : n);
          p += 2;
          continue;
        }
      }
      value.push_back(c);
      ++p;
    }
    ++p;  // closing quote
    if (!exemplar && name == labels::kMetricName) {
      return Error(name_start, "label name \"__name__\" is reserved");
    }
    if (Find(*out, name) != nullptr) {
      return Error(name_start, StrCat("duplicate label name \"", name, "\""));
    }
    out->push_back(labels::Label{std::move(name), std::move(value)});
    if (p < line_end && input_[p] == ',') {
      ++p;
      continue;
    }
    if (p < line_end && input_[p] == '}') {
      ++p;
      return absl::OkStatus();
    }
    return Error(p, "expected \",\" or \"}\" in label set");
  }
}

absl::Status OpenMetricsParser::ParseTimestamp(size_t& p, size_t line_end,
                                               std::optional<int64_t>* ms, double* seconds) {
  size_t start = p;
  while (p < line_end && input_[p] != ' ') ++p;
  std::string_view text = input_.substr(start, p - start);
  if (text.empty()) return Error(start, "expected timestamp");
  std::optional<double> ts = ParseFloat(text);
  if (!ts || !std::isfinite(*ts)) return Error(start, StrCat("invalid timestamp \"", text, "\""));
  *seconds = *ts;
  *ms = SecondsToMs(*ts);
  return absl::OkStatus();
}

absl::Status OpenMetricsParser::ParseSeries(size_t line_end) {
  size_t p = line_start_;
  labels_.clear();
  timestamp_ms_.reset();
  has_exemplar_ = false;
  exemplar_.labels.clear();
  exemplar_.timestamp_ms.reset();
  if (!IsNameStart(input_[p])) return Error(p, "invalid metric name");
  size_t name_start = p;
  while (p < line_end && IsNameChar(input_[p])) ++p;
  name_ = input_.substr(name_start, p - name_start);
  if (p < line_end && input_[p] == '{') {
    if (absl::Status s = ParseLabelSet(p, line_end, &labels_, false); !s.ok()) return s;
  }
  series_text_ = input_.substr(name_start, p - name_start);
  if (p >= line_end || input_[p] != ' ') return Error(p, "expected a space before the value");
  ++p;
  size_t value_start = p;
  while (p < line_end && input_[p] != ' ') ++p;
  std::string_view value_text = input_.substr(value_start, p - value_start);
  if (value_text.empty()) return Error(value_start, "expected value");
  std::optional<double> v = ParseFloat(value_text);
  if (!v) return Error(value_start, StrCat("invalid value \"", value_text, "\""));
  value_ = *v;
  std::optional<double> ts_seconds;
  if (p < line_end) {
    ++p;  // the space
    if (p >= line_end || input_[p] != '#') {
      double seconds = 0;
      if (absl::Status s = ParseTimestamp(p, line_end, &timestamp_ms_, &seconds); !s.ok()) return s;
      ts_seconds = seconds;
      if (p < line_end) {
        ++p;
        if (p >= line_end || input_[p] != '#')
          return Error(p, "expected \"#\" to start an exemplar");
      }
    }
  }
  if (p < line_end) {  // at '#'
    ++p;
    if (p >= line_end || input_[p] != ' ') return Error(p, "expected a space after \"#\"");
    ++p;
    if (p >= line_end || input_[p] != '{')
      return Error(p, "expected \"{\" to start the exemplar's labels");
    size_t labels_start = p;
    if (absl::Status s = ParseLabelSet(p, line_end, &exemplar_.labels, true); !s.ok()) return s;
    size_t runes = 0;
    for (const auto& l : exemplar_.labels) runes += CountRunes(l.name) + CountRunes(l.value);
    if (runes > kMaxExemplarRunes) {
      return Error(labels_start, StrCat("exemplar labels have ", runes,
                                        " characters, more than the limit of ", kMaxExemplarRunes));
    }
    if (p >= line_end || input_[p] != ' ')
      return Error(p, "expected a space before the exemplar value");
    ++p;
    size_t ev_start = p;
    while (p < line_end && input_[p] != ' ') ++p;
    std::string_view ev_text = input_.substr(ev_start, p - ev_start);
    std::optional<double> ev = ParseFloat(ev_text);
    if (!ev) return Error(ev_start, StrCat("invalid exemplar value \"", ev_text, "\""));
    exemplar_.value = *ev;
    if (p < line_end) {
      ++p;
      double unused = 0;
      if (absl::Status s = ParseTimestamp(p, line_end, &exemplar_.timestamp_ms, &unused); !s.ok())
        return s;
      if (p != line_end) return Error(p, "unexpected text after the exemplar");
    }
    has_exemplar_ = true;
  }
  if (checker_) {
    if (absl::Status s = checker_->OnSample(name_, labels_, value_, ts_seconds, has_exemplar_);
        !s.ok()) {
      return Error(line_start_, ToStd(s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::expfmt
