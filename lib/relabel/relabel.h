#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"

namespace re2 {
class RE2;
}

namespace vigil::relabel {

// Prometheus's relabel actions (model/relabel/relabel.go).
enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

std::string_view ActionName(Action a);

// One relabel_configs / metric_relabel_configs entry, with Prometheus's defaults.
struct Config {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";  // as written; matched fully anchored
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  Action action = Action::kReplace;

  std::shared_ptr<const re2::RE2> compiled;  // ^(?:regex)$, set by Compile/ParseConfigs
};

// Compiles `c.regex` into `c.compiled` and checks the config as Prometheus's Validate does.
// Errors are Prometheus's wording without position.
absl::Status Compile(Config& c);

// Reads a list of relabel configs (`node` may be undefined or null: no configs). Errors
// read "file:line:col: what".
absl::StatusOr<std::vector<Config>> ParseConfigs(std::string_view file, const YAML::Node& node);

// Applies the configs in order (Prometheus relabel.Process). Returns nullopt when a
// keep/drop/keepequal/dropequal step drops the label set.
std::optional<labels::Labels> Process(const labels::Labels& ls, const std::vector<Config>& configs);

// Go's regexp Expand for a template ($1, ${1}, $name, ${name}, $$) given the submatches of
// a match (index 0 is the whole match; absent groups are empty).
std::string Expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                   const std::vector<std::string>& group_names);

// binary.BigEndian.Uint64(md5(s)[8:]): the number hashmod reduces modulo `modulus`.
uint64_t HashModValue(std::string_view s);

}  // namespace vigil::relabel
