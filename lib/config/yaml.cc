#include "lib/config/yaml.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "lib/base/format.h"
#include "lib/config/duration.h"

namespace vigil::config {

absl::Status ErrorAt(std::string_view file, const YAML::Mark& mark, std::string_view what) {
  if (mark.line < 0) return absl::InvalidArgumentError(StrCat(file, ": ", what));
  return absl::InvalidArgumentError(
      StrCat(file, ":", mark.line + 1, ":", mark.column + 1, ": ", what));
}

absl::Status ErrorAt(std::string_view file, const YAML::Node& node, std::string_view what) {
  return ErrorAt(file, node.Mark(), what);
}

absl::StatusOr<YAML::Node> ParseYaml(std::string_view file, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return ErrorAt(file, e.mark, e.msg);
  }
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseYaml(path, ss.str());
}

namespace {

// The scalar at `key`, nullopt when absent or null.
absl::StatusOr<std::optional<YAML::Node>> Scalar(std::string_view file, const YAML::Node& map,
                                                 const char* key) {
  if (!map.IsMap()) return std::nullopt;
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) return std::nullopt;
  if (!v.IsScalar()) return ErrorAt(file, v, StrCat("\"", key, "\" must be a scalar"));
  return v;
}

}  // namespace

absl::Status ReadString(std::string_view file, const YAML::Node& map, const char* key,
                        std::string* out) {
  auto v = Scalar(file, map, key);
  if (!v.ok()) return v.status();
  if (*v) *out = (*v)->Scalar();
  return absl::OkStatus();
}

absl::Status ReadBool(std::string_view file, const YAML::Node& map, const char* key, bool* out) {
  auto v = Scalar(file, map, key);
  if (!v.ok()) return v.status();
  if (!*v) return absl::OkStatus();
  const std::string& s = (**v).Scalar();
  if (s == "true") *out = true;
  else if (s == "false") *out = false;
  else return ErrorAt(file, **v, StrCat("\"", key, "\": cannot parse \"", s, "\" as a boolean"));
  return absl::OkStatus();
}

absl::Status ReadInt(std::string_view file, const YAML::Node& map, const char* key, int64_t* out) {
  auto v = Scalar(file, map, key);
  if (!v.ok()) return v.status();
  if (!*v) return absl::OkStatus();
  if (!absl::SimpleAtoi((**v).Scalar(), out)) {
    return ErrorAt(file, **v, StrCat("\"", key, "\": cannot parse \"", (**v).Scalar(),
                                          "\" as an integer"));
  }
  return absl::OkStatus();
}

absl::Status ReadDuration(std::string_view file, const YAML::Node& map, const char* key,
                          absl::Duration* out) {
  auto v = Scalar(file, map, key);
  if (!v.ok()) return v.status();
  if (!*v) return absl::OkStatus();
  auto d = ParseDuration((**v).Scalar());
  if (!d.ok()) return ErrorAt(file, **v, StrCat("\"", key, "\": ", d.status().message()));
  *out = *d;
  return absl::OkStatus();
}

absl::Status CheckKeys(std::string_view file, const YAML::Node& map,
                       std::initializer_list<std::string_view> allowed, std::string_view what) {
  if (!map || !map.IsMap()) return absl::OkStatus();
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) {
      return ErrorAt(file, kv.first, StrCat("field ", key, " not found in ", what));
    }
  }
  return absl::OkStatus();
}

absl::Status ExpectMap(std::string_view file, const YAML::Node& node, std::string_view what) {
  if (!node.IsMap()) return ErrorAt(file, node, StrCat(what, " must be a mapping"));
  return absl::OkStatus();
}

}  // namespace vigil::config
