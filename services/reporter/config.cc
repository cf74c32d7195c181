#include "services/reporter/config.h"

#include <yaml-cpp/yaml.h>

#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::reporter {
namespace {

absl::Status ParseRolloutSection(std::string_view file, const YAML::Node& node, RolloutSpec* out) {
  if (auto s = config::ExpectMap(file, node, "rollout"); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, node, {"name", "start", "duration", "checkpoint_interval"},
                                 "rollout");
      !s.ok()) {
    return s;
  }
  if (auto s = config::ReadString(file, node, "name", &out->name); !s.ok()) return s;
  if (out->name.empty()) return config::ErrorAt(file, node, "rollout: \"name\" is required");

  std::string start;
  if (auto s = config::ReadString(file, node, "start", &start); !s.ok()) return s;
  if (!start.empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, start, &t, &err)) {
      return config::ErrorAt(file, node["start"],
                             StrCat("\"start\": cannot parse \"", start,
                                    "\" as an RFC 3339 time (e.g. 2025-01-31T09:00:00Z)"));
    }
    out->start = t;
  }

  if (auto s = config::ReadDuration(file, node, "duration", &out->duration); !s.ok()) return s;
  if (out->duration <= absl::ZeroDuration()) {
    return config::ErrorAt(file, node["duration"], "\"duration\" must be positive");
  }
  if (auto s = config::ReadDuration(file, node, "checkpoint_interval", &out->checkpoint_interval);
      !s.ok()) {
    return s;
  }
  if (out->checkpoint_interval <= absl::ZeroDuration()) {
    return config::ErrorAt(file, node["checkpoint_interval"],
                           "\"checkpoint_interval\" must be positive");
  }
  if (out->checkpoint_interval > out->duration) {
    return config::ErrorAt(file, node["checkpoint_interval"],
                           "\"checkpoint_interval\" must not exceed \"duration\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<RolloutConfig> FromDocument(std::string_view file, const YAML::Node& root) {
  if (!root.IsMap()) {
    return config::ErrorAt(file, root,
                           "the rollout file must be a mapping with a \"rollout\" section");
  }
  if (auto s = config::CheckKeys(file, root, {"rollout"}, "the rollout file"); !s.ok()) return s;

  RolloutConfig cfg;
  const YAML::Node rollout = root["rollout"];
  if (!rollout) return config::ErrorAt(file, root, "missing required section \"rollout\"");
  if (auto s = ParseRolloutSection(file, rollout, &cfg.rollout); !s.ok()) return s;
  return cfg;
}

}  // namespace

absl::StatusOr<RolloutConfig> ParseRolloutConfig(std::string_view file, const std::string& text) {
  auto root = config::ParseYaml(file, text);
  if (!root.ok()) return root.status();
  return FromDocument(file, *root);
}

absl::StatusOr<RolloutConfig> LoadRolloutConfig(const std::string& path) {
  auto root = config::LoadYamlFile(path);
  if (!root.ok()) return root.status();
  return FromDocument(path, *root);
}

}  // namespace vigil::reporter
