#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "lib/promconfig/promconfig.h"

namespace vigil::collector {

// file_sd_configs (Prometheus discovery/file): expands each config's globs, reads the
// target-group files that are new or changed (mtime or size, polled) or whose
// refresh_interval has passed, and keeps each file's last good groups: a file that does
// not parse keeps serving what it served before and is reported in problems(). A file
// that disappears takes its targets with it. Owned by the collector's loop thread.
class FileDiscovery {
 public:
  // Replaces the file_sd configs (on load and reload); every file is re-read on the next
  // Refresh.
  void SetConfig(const promconfig::PrometheusConfig& cfg);

  // Polls the files; returns true when the discovered groups changed.
  bool Refresh(TimestampMs now);

  // `cfg` with the discovered groups added to the static_configs of their jobs.
  promconfig::PrometheusConfig Effective(const promconfig::PrometheusConfig& cfg) const;

  // One line for each file that failed its last read, for `vigil status`.
  std::vector<std::string> problems() const;
  // Files currently matched by the globs.
  size_t files() const { return files_.size(); }

 private:
  struct File {
    std::string job;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    TimestampMs next_read_ms = 0;
    std::vector<promconfig::StaticConfig> groups;  // the last good read
    std::string error;                             // of the last read, if it failed
  };
  struct Source {
    std::string job;
    std::vector<std::string> patterns;
    int64_t refresh_ms;
  };

  std::vector<Source> sources_;
  std::map<std::string, File> files_;  // by path (and job: a path in two jobs is two files)
};

}  // namespace vigil::collector
