#pragma once

// Debian's abseil is built with its own absl::string_view (not std::string_view), so
// absl::StrCat does not take std::string_view and fmt does not know absl::string_view.
// vigil builds text with fmt::format; these formatters let it print abseil's types.

#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"


template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const absl::Status& s, Ctx& ctx) const {
    std::string text = s.ToString();
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};

namespace vigil {

inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Concatenates anything fmt can print (std::string_view, absl::string_view, numbers...).
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

}  // namespace vigil
