#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"

namespace re2 {
class RE2;
}

namespace vigil::labels {

enum class MatchType { kEqual, kNotEqual, kRegex, kNotRegex };

// One label matcher, as in PromQL selectors and Alertmanager routes (Prometheus
// `model/labels/matcher.go`). Regexes are RE2, fully anchored, with `.` matching newline.
// Immutable after construction; safe to share between threads.
class Matcher {
 public:
  static absl::StatusOr<Matcher> Create(MatchType type, std::string name, std::string value);

  // True when the value of `name` in `ls` (empty when absent) matches.
  bool Matches(const Labels& ls) const { return MatchesValue(ls.Get(name_)); }
  bool MatchesValue(std::string_view value) const;

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // e.g. job="api", code=~"5.."
  std::string ToString() const;

 private:
  Matcher(MatchType type, std::string name, std::string value, std::shared_ptr<re2::RE2> re)
      : type_(type), name_(std::move(name)), value_(std::move(value)), re_(std::move(re)) {}

  MatchType type_;
  std::string name_;
  std::string value_;
  std::shared_ptr<re2::RE2> re_;  // set for regex matchers
};

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& ls);
// A key that tells selectors apart: equal for the same matchers in the same order.
std::string MatchersKey(const std::vector<Matcher>& matchers);

}  // namespace vigil::labels
