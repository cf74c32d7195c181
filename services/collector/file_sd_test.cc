#include "services/collector/file_sd.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lib/base/format.h"
#include "services/collector/scrape_manager.h"

namespace vigil::collector {
namespace {

class FileDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-file-sd-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` and gives the file a distinct mtime, so a change is seen even within
  // the file system's timestamp granularity.
  void Write(const std::string& name, const std::string& text) {
    std::string path = StrCat(dir_, "/", name);
    std::ofstream(path) << text;
    struct timespec times[2] = {{0, 0}, {++mtime_, 0}};
    utimensat(AT_FDCWD, path.c_str(), times, 0);
  }

  promconfig::PrometheusConfig Config() {
    auto cfg = promconfig::ParsePrometheusConfig(StrCat(dir_, "/prometheus.yml"), R"(
scrape_configs:
  - job_name: node
    file_sd_configs:
      - files: ["targets/*.json", "targets/*.yml"]
        refresh_interval: 1m
    relabel_configs:
      - source_labels: [__meta_filepath]
        regex: .*/(.*)\..*
        target_label: from
)");
    EXPECT_TRUE(cfg.ok()) << cfg.status();
    return *cfg;
  }

  std::string dir_;
  time_t mtime_ = 1'700'000'000;
};

TEST_F(FileDiscoveryTest, ReadsJsonAndYamlGroupsAndFollowsChanges) {
  std::filesystem::create_directory(StrCat(dir_, "/targets"));
  Write("targets/a.json", R"([{"targets": ["h1:9100", "h2:9100"], "labels": {"env": "prod"}}])");
  Write("targets/b.yml", "- targets: [h3:9100]\n");
  auto cfg = Config();
  FileDiscovery d;
  d.SetConfig(cfg);
  EXPECT_TRUE(d.Refresh(0));
  EXPECT_EQ(d.files(), 2u);
  ScrapeManager m;
  m.ApplyConfig(d.Effective(cfg), 0);
  ASSERT_EQ(m.targets().size(), 3u);
  for (const Target& t : m.targets()) {
    if (t.address == "h1:9100") {
      EXPECT_EQ(t.labels, labels::Labels({{"env", "prod"},
                                          {"from", "a"},
                                          {"instance", "h1:9100"},
                                          {"job", "node"}}));
    }
    if (t.address == "h3:9100") EXPECT_EQ(t.labels.Get("from"), "b");
  }
  EXPECT_FALSE(d.Refresh(1000));  // nothing changed

  // A change is picked up; a broken file keeps its last good targets and is reported.
  Write("targets/b.yml", "- targets: [h3:9100, h4:9100]\n");
  EXPECT_TRUE(d.Refresh(2000));
  Write("targets/a.json", R"([{"targets": ["h1:9100"],)");
  EXPECT_FALSE(d.Refresh(3000));
  m.ApplyConfig(d.Effective(cfg), 3000);
  EXPECT_EQ(m.targets().size(), 4u);
  ASSERT_EQ(d.problems().size(), 1u);
  EXPECT_NE(d.problems()[0].find(StrCat("file_sd (job node): ", dir_, "/targets/a.json:")),
            std::string::npos)
      << d.problems()[0];
  EXPECT_NE(d.problems()[0].find("(keeping the last good targets)"), std::string::npos);

  // Fixed again; then a file that goes away takes its targets with it.
  Write("targets/a.json", R"([{"targets": ["h1:9100"]}])");
  EXPECT_TRUE(d.Refresh(4000));
  EXPECT_TRUE(d.problems().empty());
  std::filesystem::remove(StrCat(dir_, "/targets/b.yml"));
  EXPECT_TRUE(d.Refresh(5000));
  m.ApplyConfig(d.Effective(cfg), 5000);
  ASSERT_EQ(m.targets().size(), 1u);
  EXPECT_EQ(m.targets()[0].address, "h1:9100");
}

TEST_F(FileDiscoveryTest, RefreshIntervalRereadsUnchangedFiles) {
  std::filesystem::create_directory(StrCat(dir_, "/targets"));
  Write("targets/a.json", R"([{"targets": ["h1:9100"]}])");
  auto cfg = Config();
  FileDiscovery d;
  d.SetConfig(cfg);
  EXPECT_TRUE(d.Refresh(0));
  // Same size and mtime (as a same-second rewrite can leave them): only the refresh
  // interval notices.
  std::string path = StrCat(dir_, "/targets/a.json");
  std::ofstream(path) << R"([{"targets": ["h2:9100"]}])";
  struct timespec times[2] = {{0, 0}, {mtime_, 0}};
  utimensat(AT_FDCWD, path.c_str(), times, 0);
  EXPECT_FALSE(d.Refresh(59'000));
  EXPECT_TRUE(d.Refresh(60'000));
  EXPECT_EQ(d.Effective(cfg).scrape_configs[0].static_configs[0].targets,
            std::vector<std::string>{"h2:9100"});
}

TEST(FileSdConfigTest, ValidatesPathsAsPrometheus) {
  auto bad = promconfig::ParsePrometheusConfig(
      "/etc/p.yml", "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [t.txt]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "/etc/p.yml:4:17: path name \"t.txt\" is not valid for file discovery");
  auto ok = promconfig::ParsePrometheusConfig(
      "/etc/p.yml", "scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [t/*.json]\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->scrape_configs[0].file_sd_configs[0].resolved_files[0], "/etc/t/*.json");
  EXPECT_EQ(ok->scrape_configs[0].file_sd_configs[0].refresh_interval, absl::Minutes(5));
  auto groups = promconfig::ParseTargetGroups("g.json", R"([{"targets": ["a/b"]}])");
  ASSERT_FALSE(groups.ok());
  EXPECT_EQ(std::string(groups.status().message()), "g.json:1:15: \"a/b\" is not a valid hostname");
}

}  // namespace
}  // namespace vigil::collector
