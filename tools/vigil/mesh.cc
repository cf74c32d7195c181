#include "tools/vigil/mesh.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using config::ErrorAt;

std::string Absolute(const std::string& base_dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(base_dir) / path;
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();  // "a/b/"
  return path.string();
}

bool IsExecutableFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
}

absl::Status ParseProcess(std::string_view file, const YAML::Node& node, ProcessSpec* p) {
  if (auto s = config::ExpectMap(file, node, "a process"); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, node, {"name", "binary", "args", "grpc", "http"}, "process");
      !s.ok()) {
    return s;
  }
  for (auto [key, out] : {std::pair{"name", &p->name}, std::pair{"binary", &p->binary},
                          std::pair{"grpc", &p->grpc}, std::pair{"http", &p->http}}) {
    if (auto s = config::ReadString(file, node, key, out); !s.ok()) return s;
  }
  if (p->name.empty()) return ErrorAt(file, node, "process has no name");
  if (p->binary.empty()) return ErrorAt(file, node, StrCat("process ", p->name, " has no binary"));
  p->binary_mark = node["binary"].Mark();
  if (const YAML::Node args = node["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) return ErrorAt(file, args, "\"args\" must be a list of strings");
    for (const YAML::Node& a : args) {
      if (!a.IsScalar()) return ErrorAt(file, a, "\"args\" must be a list of strings");
      p->args.push_back(a.Scalar());
    }
  }
  if (p->grpc.empty()) p->grpc = FlagValue(p->args, "--grpc.listen-address");
  if (p->http.empty()) p->http = FlagValue(p->args, "--web.listen-address");
  return absl::OkStatus();
}

}  // namespace

std::string FlagValue(const std::vector<std::string>& args, std::string_view flag) {
  std::string prefix = StrCat(flag, "=");
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind(prefix, 0) == 0) return args[i].substr(prefix.size());
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
  }
  return "";
}

absl::StatusOr<Mesh> ParseMesh(std::string_view file, const std::string& text,
                               const std::string& base_dir, const std::string& default_bin_dir) {
  auto root = config::ParseYaml(file, text);
  if (!root.ok()) return root.status();
  if (!root->IsMap()) return ErrorAt(file, *root, "a mesh file must be a mapping");
  if (auto s = config::CheckKeys(file, *root, {"processes", "bin_dir", "working_dir", "restart"},
                                 "mesh");
      !s.ok()) {
    return s;
  }
  Mesh mesh;
  mesh.file = std::string(file);
  std::string bin_dir, working_dir;
  if (auto s = config::ReadString(file, *root, "bin_dir", &bin_dir); !s.ok()) return s;
  if (auto s = config::ReadString(file, *root, "working_dir", &working_dir); !s.ok()) return s;
  mesh.bin_dir = bin_dir.empty() ? default_bin_dir : Absolute(base_dir, bin_dir);
  mesh.working_dir = Absolute(base_dir, working_dir.empty() ? "." : working_dir);

  if (const YAML::Node restart = (*root)["restart"]; restart && !restart.IsNull()) {
    if (auto s = config::ExpectMap(file, restart, "\"restart\""); !s.ok()) return s;
    if (auto s = config::CheckKeys(file, restart, {"initial_backoff", "max_backoff"}, "restart");
        !s.ok()) {
      return s;
    }
    if (auto s = config::ReadDuration(file, restart, "initial_backoff", &mesh.initial_backoff);
        !s.ok()) {
      return s;
    }
    if (auto s = config::ReadDuration(file, restart, "max_backoff", &mesh.max_backoff); !s.ok()) {
      return s;
    }
    if (mesh.initial_backoff <= absl::ZeroDuration()) {
      return ErrorAt(file, restart, "initial_backoff must be greater than 0");
    }
    if (mesh.max_backoff < mesh.initial_backoff) {
      return ErrorAt(file, restart, "max_backoff must not be less than initial_backoff");
    }
  }

  const YAML::Node processes = (*root)["processes"];
  if (!processes || processes.IsNull()) return ErrorAt(file, *root, "no processes listed");
  if (!processes.IsSequence() || processes.size() == 0) {
    return ErrorAt(file, processes, "\"processes\" must be a non-empty list");
  }
  std::set<std::string> names;
  for (const YAML::Node& node : processes) {
    ProcessSpec p;
    if (auto s = ParseProcess(file, node, &p); !s.ok()) return s;
    if (!names.insert(p.name).second) {
      return ErrorAt(file, node["name"], StrCat("duplicate process name ", p.name));
    }
    mesh.processes.push_back(std::move(p));
  }
  return mesh;
}

absl::StatusOr<Mesh> LoadMesh(const std::string& path, const std::string& default_bin_dir) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open file"));
  std::stringstream text;
  text << in.rdbuf();
  std::string base_dir = fs::absolute(fs::path(path)).parent_path().string();
  return ParseMesh(path, text.str(), base_dir, default_bin_dir);
}

absl::Status ResolveBinaries(Mesh* mesh) {
  for (ProcessSpec& p : mesh->processes) {
    p.path.clear();
    if (fs::path(p.binary).is_absolute()) {
      if (IsExecutableFile(p.binary)) p.path = p.binary;
    } else if (p.binary.find('/') != std::string::npos) {
      std::string candidate = Absolute(mesh->working_dir, p.binary);
      if (IsExecutableFile(candidate)) p.path = candidate;
    } else {
      std::string candidate = (fs::path(mesh->bin_dir) / p.binary).string();
      if (IsExecutableFile(candidate)) p.path = candidate;
      const char* env_path = getenv("PATH");
      std::string_view dirs = env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
      while (p.path.empty() && !dirs.empty()) {
        size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
        if (dir.empty()) continue;
        candidate = (fs::path(dir) / p.binary).string();
        if (IsExecutableFile(candidate)) p.path = candidate;
      }
    }
    if (p.path.empty()) {
      return ErrorAt(mesh->file, p.binary_mark,
                     StrCat("process ", p.name, ": executable ", p.binary, " not found (bin_dir ",
                            mesh->bin_dir, ", then $PATH)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::cli
