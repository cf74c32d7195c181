#include "services/collector/collector_grpc.h"

#include <gtest/gtest.h>

#include "lib/base/format.h"

namespace vigil::collector {
namespace {

promconfig::PrometheusConfig TwentyTargets() {
  std::string targets;
  for (int i = 0; i < 20; ++i) targets += StrCat(i ? ", " : "", "\"host-", i, ":9100\"");
  auto cfg = promconfig::ParsePrometheusConfig(
      "p.yml", StrCat("scrape_configs:\n  - job_name: node\n    static_configs:\n"
                      "      - targets: [", targets, "]\n  - job_name: other\n"
                      "    static_configs: [{targets: [\"x:1\"]}]\n"));
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

TEST(ListTargetsTest, NamesTheShardWhenTargetsAreSplit) {
  size_t listed = 0;
  for (uint64_t i = 0; i < 2; ++i) {
    ScrapeManager m;
    m.SetShard(Shard{i, 2});
    m.ApplyConfig(TwentyTargets(), 0);
    v1::ListTargetsResponse r = ListTargetsOf(m, "node");
    EXPECT_EQ(r.shard(), StrCat(i, "/2"));
    for (const v1::Target& t : r.targets()) {
      bool node_job = false;
      for (const v1::Label& l : t.labels()) node_job |= l.name() == "job" && l.value() == "node";
      EXPECT_TRUE(node_job) << t.DebugString();
    }
    listed += r.targets_size();
  }
  EXPECT_EQ(listed, 20u);  // the two shards list every node target once
}

TEST(ListTargetsTest, UnshardedCollectorLeavesShardEmpty) {
  ScrapeManager m;
  m.ApplyConfig(TwentyTargets(), 0);
  v1::ListTargetsResponse r = ListTargetsOf(m, "");
  EXPECT_EQ(r.shard(), "");
  EXPECT_EQ(r.targets_size(), 21);
}

}  // namespace
}  // namespace vigil::collector
