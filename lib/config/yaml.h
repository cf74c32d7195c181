#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::config {

// Every configuration error reads "file:line:col: what" (1-based), so a person can jump
// straight to it.
absl::Status ErrorAt(std::string_view file, const YAML::Mark& mark, std::string_view what);
absl::Status ErrorAt(std::string_view file, const YAML::Node& node, std::string_view what);

// Reads and parses a YAML file. yaml-cpp exceptions become InvalidArgument with position;
// a missing file is NotFound naming the path.
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);
absl::StatusOr<YAML::Node> ParseYaml(std::string_view file, const std::string& text);

// Typed readers for one key of a mapping. Absent keys leave *out untouched and succeed;
// a value of the wrong kind is an error at its position.
absl::Status ReadString(std::string_view file, const YAML::Node& map, const char* key,
                        std::string* out);
absl::Status ReadBool(std::string_view file, const YAML::Node& map, const char* key, bool* out);
absl::Status ReadInt(std::string_view file, const YAML::Node& map, const char* key, int64_t* out);
absl::Status ReadDuration(std::string_view file, const YAML::Node& map, const char* key,
                          absl::Duration* out);

// Rejects keys not in `allowed` (as Prometheus's strict YAML unmarshalling does), naming
// the first unknown key and its position.
absl::Status CheckKeys(std::string_view file, const YAML::Node& map,
                       std::initializer_list<std::string_view> allowed, std::string_view what);

// Fails unless `node` is a mapping (or absent/null when `optional`).
absl::Status ExpectMap(std::string_view file, const YAML::Node& node, std::string_view what);

}  // namespace vigil::config
