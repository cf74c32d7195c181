#include "services/evaluator/group_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"

namespace vigil::evaluator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<rules::Group> MakeGroup(const std::string& file, const std::string& name) {
  rules::GroupSpec spec;
  spec.file = file;
  spec.name = name;
  return std::make_unique<rules::Group>(std::move(spec), absl::Seconds(15), labels::Labels());
}

std::string Exposition(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// As Prometheus: a reload that drops a group drops its series; the others keep theirs.
TEST(GroupMetricsTest, AReloadThatRemovesAGroupRemovesItsSeries) {
  prometheus::Registry registry;
  GroupMetrics metrics(registry);
  std::vector<std::unique_ptr<rules::Group>> groups;
  groups.push_back(MakeGroup("a.yml", "keep"));
  groups.push_back(MakeGroup("a.yml", "drop"));
  metrics.ObserveDuration(*groups[0], 0.25);
  metrics.ObserveDuration(*groups[1], 0.5);
  metrics.ObserveDuration(*groups[1], 0.75);
  metrics.AddMissedIterations(*groups[1], 2);
  metrics.AddMissedIterations(*groups[1], 1);
  std::string text = Exposition(registry);
  EXPECT_THAT(text, HasSubstr(R"(rule_group="a.yml;keep"} 0.25)"));
  EXPECT_THAT(text, HasSubstr(R"(rule_group="a.yml;drop"} 0.75)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vigil_evaluator_rule_group_iterations_missed_total{rule_group="a.yml;keep"} 0)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vigil_evaluator_rule_group_iterations_missed_total{rule_group="a.yml;drop"} 3)"));

  groups.push_back(MakeGroup("b.yml", "new"));
  metrics.Retain(groups);
  EXPECT_THAT(
      Exposition(registry),
      HasSubstr(R"(vigil_evaluator_rule_group_iterations_missed_total{rule_group="b.yml;new"} 0)"));
  groups.pop_back();
  groups.pop_back();
  metrics.Retain(groups);
  text = Exposition(registry);
  EXPECT_THAT(text, HasSubstr(R"(rule_group="a.yml;keep"} 0.25)"));
  EXPECT_THAT(text, Not(HasSubstr("a.yml;drop")));

  // A group that comes back starts a new series.
  groups.push_back(MakeGroup("a.yml", "drop"));
  metrics.ObserveDuration(*groups[1], 1);
  EXPECT_THAT(Exposition(registry), HasSubstr(R"(rule_group="a.yml;drop"} 1)"));
}

}  // namespace
}  // namespace vigil::evaluator
