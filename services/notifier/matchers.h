#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/labels/matcher.h"

namespace vigil::notifier {

// Alertmanager 0.25's matcher syntax (pkg/labels/parse.go), what its configuration, API
// filters and amtool read.

// One matcher: a label name ([a-zA-Z_:][a-zA-Z0-9_:]*), `=`, `!=`, `=~` or `!~`, and a
// value, optionally in double quotes, with whitespace around each part dropped. In the
// value `\"`, `\\` and `\n` are escapes; any other backslash is a literal one; an unescaped
// `"` may only open and close it. Errors read as Alertmanager's ("bad matcher format: …",
// "matcher value contains unescaped double quote: …").
absl::StatusOr<labels::Matcher> ParseMatcher(std::string_view text);

// A comma-separated list, as one `matchers:` entry of a route or inhibit rule holds:
// `a="1",b=~"x.*"`, optionally in braces (`{a="1", b!="2",}`). Commas inside double
// quotes do not separate; a trailing comma is allowed, an empty item between two is an
// error.
absl::StatusOr<std::vector<labels::Matcher>> ParseMatchers(std::string_view text);

// Alertmanager's order of a route's matchers (labels.Matchers.Less): by name, then value,
// then type (=, !=, =~, !~). A route's key, and so every group key under it, is built in it.
bool MatcherLess(const labels::Matcher& a, const labels::Matcher& b);

}  // namespace vigil::notifier
