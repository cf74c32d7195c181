#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::cli {

// One process of a mesh file (`vigil up --config FILE`).
struct ProcessSpec {
  std::string name;
  // As written: a name looked up in the mesh's bin_dir (then $PATH), or an absolute path.
  std::string binary;
  // Filled by ResolveBinaries: the absolute path that is executed.
  std::string path;
  std::vector<std::string> args;
  // Where `vigil status` asks / where the HTTP side listens; from the mesh file, else from a
  // --grpc.listen-address / --web.listen-address argument, else empty.
  std::string grpc;
  std::string http;
  YAML::Mark binary_mark;  // for errors about the binary
};

// A parsed mesh file. Paths are absolute (relative ones are taken from the file's directory).
struct Mesh {
  std::string file;
  std::vector<ProcessSpec> processes;
  std::string bin_dir;
  std::string working_dir;
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
};

// Parses a mesh file's text. `base_dir` is the directory relative paths are taken from;
// `default_bin_dir` is used when the file names no bin_dir. Errors read "file:line:col: what";
// unknown keys are rejected.
absl::StatusOr<Mesh> ParseMesh(std::string_view file, const std::string& text,
                               const std::string& base_dir, const std::string& default_bin_dir);

// Reads and parses a mesh file (see ParseMesh); base_dir is the file's directory.
absl::StatusOr<Mesh> LoadMesh(const std::string& path, const std::string& default_bin_dir);

// Sets every process's `path`: bin_dir/binary when it exists there, an absolute binary as is,
// else the first match on $PATH. Errors point at the `binary:` line.
absl::Status ResolveBinaries(Mesh* mesh);

// The value of a "--flag=value" or "--flag value" argument, empty when absent.
std::string FlagValue(const std::vector<std::string>& args, std::string_view flag);

}  // namespace vigil::cli
