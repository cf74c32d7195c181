#include "services/evaluator/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/format.h"

namespace vigil::evaluator {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Errno("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync", path);
}

}  // namespace

absl::Status WriteStateFile(const std::string& path, const v1::AlertStateSnapshot& snapshot) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !snapshot.SerializeToOstream(&out)) return Errno("write", tmp);
    out.flush();
    if (!out) return Errno("write", tmp);
  }
  if (auto s = FsyncPath(tmp, O_RDONLY); !s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

absl::StatusOr<std::optional<v1::AlertStateSnapshot>> ReadStateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<v1::AlertStateSnapshot>();
    return Errno("open", path);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  v1::AlertStateSnapshot snap;
  if (!snap.ParseFromString(buf.str())) {
    return absl::DataLossError(StrCat(path, ": not a valid alert state file"));
  }
  return std::optional<v1::AlertStateSnapshot>(std::move(snap));
}

}  // namespace vigil::evaluator
