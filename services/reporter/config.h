#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::reporter {

// The `rollout:` section: what is being rolled out and over which window.
struct RolloutSpec {
  std::string name;                 // required, e.g. "phase5"
  std::optional<absl::Time> start;  // RFC 3339; absent: the rollout has not started
  absl::Duration duration = absl::Hours(48);
  absl::Duration checkpoint_interval = absl::Minutes(52);
};

// vigil's rollout file, as the reporter reads it. Each top-level section has its own
// parser in config.cc; later sections (kpis, checkpoints, criteria) are added the same way.
// Unknown keys are errors, and every error reads "file:line:col: what".
struct RolloutConfig {
  RolloutSpec rollout;
};

absl::StatusOr<RolloutConfig> ParseRolloutConfig(std::string_view file, const std::string& text);
absl::StatusOr<RolloutConfig> LoadRolloutConfig(const std::string& path);

}  // namespace vigil::reporter
