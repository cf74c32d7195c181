#include "services/collector/file_sd.h"

#include <glob.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "lib/base/format.h"

namespace vigil::collector {
namespace {

std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

std::string Key(const std::string& job, const std::string& path) { return StrCat(job, "\t", path); }

}  // namespace

void FileDiscovery::SetConfig(const promconfig::PrometheusConfig& cfg) {
  sources_.clear();
  for (const auto& sc : cfg.scrape_configs) {
    for (const auto& fsd : sc.file_sd_configs) {
      sources_.push_back(Source{sc.job_name, fsd.resolved_files,
                                std::max<int64_t>(1, absl::ToInt64Milliseconds(fsd.refresh_interval))});
    }
  }
  for (auto& [key, f] : files_) f.next_read_ms = 0;  // re-read everything
}

bool FileDiscovery::Refresh(TimestampMs now) {
  bool changed = false;
  std::set<std::string> present;
  for (const Source& src : sources_) {
    for (const std::string& pattern : src.patterns) {
      for (const std::string& path : Glob(pattern)) {
        std::string key = Key(src.job, path);
        if (!present.insert(key).second) continue;
        File& f = files_[key];
        f.job = src.job;
        struct stat st {};
        if (stat(path.c_str(), &st) != 0) continue;  // gone between glob and stat
        int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        if (mtime_ns == f.mtime_ns && st.st_size == f.size && now < f.next_read_ms) continue;
        f.mtime_ns = mtime_ns;
        f.size = st.st_size;
        f.next_read_ms = now + src.refresh_ms;
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) {
          f.error = StrCat(path, ": cannot read the file");
          continue;
        }
        auto groups = promconfig::ParseTargetGroups(path, text.str());
        if (!groups.ok()) {
          f.error = std::string(groups.status().message());
          continue;  // keep the last good groups
        }
        f.error.clear();
        bool same = groups->size() == f.groups.size();
        for (size_t i = 0; same && i < groups->size(); ++i) {
          same = (*groups)[i].targets == f.groups[i].targets &&
                 (*groups)[i].labels == f.groups[i].labels;
        }
        if (!same) {
          f.groups = std::move(*groups);
          changed = true;
        }
      }
    }
  }
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.count(it->first) == 0) {
      if (!it->second.groups.empty()) changed = true;
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  return changed;
}

promconfig::PrometheusConfig FileDiscovery::Effective(const promconfig::PrometheusConfig& cfg) const {
  promconfig::PrometheusConfig out = cfg;
  for (auto& sc : out.scrape_configs) {
    for (const auto& [key, f] : files_) {
      if (f.job != sc.job_name) continue;
      sc.static_configs.insert(sc.static_configs.end(), f.groups.begin(), f.groups.end());
    }
  }
  return out;
}

std::vector<std::string> FileDiscovery::problems() const {
  std::vector<std::string> out;
  for (const auto& [key, f] : files_) {
    if (!f.error.empty()) {
      out.push_back(StrCat("file_sd (job ", f.job, "): ", f.error, " (keeping the last good targets)"));
    }
  }
  return out;
}

}  // namespace vigil::collector
