#pragma once

// The character classes of metric and label names, shared by the text-format and
// OpenMetrics parsers (Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*).
// Internal to lib/expfmt; nothing outside includes it.

#include "absl/strings/ascii.h"

namespace vigil::expfmt {

inline bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_' || c == ':'; }
inline bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == ':'; }
inline bool IsLabelStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
inline bool IsLabelChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

}  // namespace vigil::expfmt
