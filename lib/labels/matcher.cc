#include "lib/labels/matcher.h"

#include <re2/re2.h>

#include "absl/status/status.h"
#include "lib/base/format.h"

namespace vigil::labels {

absl::StatusOr<Matcher> Matcher::Create(MatchType type, std::string name, std::string value) {
  std::shared_ptr<re2::RE2> re;
  if (type == MatchType::kRegex || type == MatchType::kNotRegex) {
    re2::RE2::Options options;
    options.set_dot_nl(true);
    options.set_log_errors(false);
    re = std::make_shared<re2::RE2>(StrCat("^(?:", value, ")$"), options);
    if (!re->ok()) {
      // RE2's text ends with ": <the pattern>", which is our anchored wrapper: drop it.
      std::string why = re->error();
      if (size_t colon = why.rfind(": "); colon != std::string::npos) why.resize(colon);
      return absl::InvalidArgumentError(
          StrCat("invalid regular expression \"", value, "\": ", why));
    }
  }
  return Matcher(type, std::move(name), std::move(value), std::move(re));
}

bool Matcher::MatchesValue(std::string_view value) const {
  switch (type_) {
    case MatchType::kEqual:
      return value == value_;
    case MatchType::kNotEqual:
      return value != value_;
    case MatchType::kRegex:
      return re2::RE2::FullMatch(value, *re_);
    case MatchType::kNotRegex:
      return !re2::RE2::FullMatch(value, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  const char* op = "=";
  switch (type_) {
    case MatchType::kEqual:
      op = "=";
      break;
    case MatchType::kNotEqual:
      op = "!=";
      break;
    case MatchType::kRegex:
      op = "=~";
      break;
    case MatchType::kNotRegex:
      op = "!~";
      break;
  }
  return StrCat(name_, op, "\"", EscapeLabelValue(value_), "\"");
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& ls) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(ls)) return false;
  }
  return true;
}

std::string MatchersKey(const std::vector<Matcher>& matchers) {
  std::string key;
  for (const Matcher& m : matchers) {
    key += m.ToString();
    key += '\0';
  }
  return key;
}

}  // namespace vigil::labels
