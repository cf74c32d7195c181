#include "lib/relabel/relabel.h"

#include <gtest/gtest.h>

#include "lib/config/yaml.h"

namespace vigil::relabel {
namespace {

std::vector<Config> Configs(const std::string& yaml) {
  auto node = config::ParseYaml("r.yml", yaml);
  EXPECT_TRUE(node.ok()) << node.status();
  auto cfgs = ParseConfigs("r.yml", *node);
  EXPECT_TRUE(cfgs.ok()) << cfgs.status();
  return cfgs.ok() ? *cfgs : std::vector<Config>{};
}

std::string ConfigError(const std::string& yaml) {
  auto node = config::ParseYaml("r.yml", yaml);
  auto cfgs = ParseConfigs("r.yml", *node);
  return cfgs.ok() ? "ok" : std::string(cfgs.status().message());
}

const labels::Labels kFooBarBaz = {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}};

// Cases from Prometheus's model/relabel/relabel_test.go and its configuration docs.
TEST(RelabelTest, ReplaceWithCaptureGroups) {
  auto out = Process(kFooBarBaz, Configs(R"(
- source_labels: [a]
  regex: f(.*)
  target_label: d
  replacement: ch${1}-ch${1}
)"));
  EXPECT_EQ(out, labels::Labels({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}));
}

TEST(RelabelTest, ReplaceJoinsSourceLabelsWithTheSeparator) {
  auto out = Process(kFooBarBaz, Configs(R"(
- source_labels: [a, b]
  regex: f(.*);(.*)r
  target_label: a
  replacement: b${1}${2}m
- source_labels: [c, a]
  separator: "|"
  regex: (.*)\|(.*)
  target_label: ${1}
  replacement: $2
)"));
  EXPECT_EQ(out, labels::Labels({{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"baz", "boobam"}}));
}

TEST(RelabelTest, ReplaceWithoutMatchOrWithEmptyResult) {
  // No match: nothing changes. Regexes are fully anchored: "o" does not match "foo".
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [a], regex: o, target_label: d}\n")),
            kFooBarBaz);
  // An empty replacement removes the target label.
  EXPECT_EQ(
      Process(kFooBarBaz, Configs("- {source_labels: [a], target_label: b, replacement: ''}\n")),
      labels::Labels({{"a", "foo"}, {"c", "baz"}}));
  // Go's template rules: "$1_x" names the group "1_x", which does not exist.
  EXPECT_EQ(
      Process(kFooBarBaz, Configs("- {source_labels: [a], target_label: d, replacement: $1_x}\n")),
      kFooBarBaz);
  EXPECT_EQ(Process(kFooBarBaz,
                    Configs("- {source_labels: [a], target_label: d, replacement: '${1}_x'}\n")),
            kFooBarBaz.With("d", "foo_x"));
  // Named groups and $$.
  EXPECT_EQ(Process(kFooBarBaz, Configs(R"y(
- {source_labels: [a], regex: "f(?P<rest>.*)", target_label: d, replacement: "$$${rest}"}
)y")),
            kFooBarBaz.With("d", "$oo"));
  // The default config copies nothing without a target; with source [] the value is "".
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {target_label: e, replacement: static}\n")),
            kFooBarBaz.With("e", "static"));
}

TEST(RelabelTest, KeepAndDrop) {
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [a], regex: f.*, action: keep}\n")),
            kFooBarBaz);
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [a], regex: f, action: keep}\n")),
            std::nullopt);
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [a], regex: f.*, action: drop}\n")),
            std::nullopt);
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [a], regex: f, action: DROP}\n")),
            kFooBarBaz);
  // A missing label is the empty string.
  EXPECT_EQ(Process(kFooBarBaz, Configs("- {source_labels: [z], regex: '', action: drop}\n")),
            std::nullopt);
}

TEST(RelabelTest, KeepEqualAndDropEqual) {
  labels::Labels ls = {{"__tmp_port", "8080"}, {"port", "8080"}};
  EXPECT_EQ(
      Process(ls,
              Configs("- {source_labels: [__tmp_port], target_label: port, action: keepequal}\n")),
      ls);
  EXPECT_EQ(
      Process(ls,
              Configs("- {source_labels: [__tmp_port], target_label: port, action: dropequal}\n")),
      std::nullopt);
  labels::Labels other = ls.With("port", "9090");
  EXPECT_EQ(
      Process(other,
              Configs("- {source_labels: [__tmp_port], target_label: port, action: keepequal}\n")),
      std::nullopt);
}

TEST(RelabelTest, HashModIsPrometheusCompatible) {
  EXPECT_EQ(HashModValue("abc"), 0xd6963f7d28e17f72ull);  // md5("abc")[8:]
  EXPECT_EQ(HashModValue(""), 0xe9800998ecf8427eull);     // md5("")[8:]
  auto out =
      Process(kFooBarBaz,
              Configs("- {source_labels: [c], target_label: d, action: hashmod, modulus: 1000}\n"));
  EXPECT_EQ(out, kFooBarBaz.With("d", "976"));
}

TEST(RelabelTest, LabelMapLabelDropLabelKeep) {
  labels::Labels ls = {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}};
  EXPECT_EQ(
      Process(ls, Configs("- {regex: (b.*), replacement: 'bar_${1}', action: labelmap}\n")),
      labels::Labels(
          {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}));
  EXPECT_EQ(Process(ls, Configs("- {regex: b.*, action: labeldrop}\n")),
            labels::Labels({{"a", "foo"}}));
  EXPECT_EQ(Process(ls, Configs("- {regex: b.*, action: labelkeep}\n")),
            labels::Labels({{"b1", "bar"}, {"b2", "baz"}}));
  // The documented Kubernetes idiom.
  labels::Labels meta = {{"__meta_kubernetes_pod_label_app", "web"}, {"job", "k"}};
  EXPECT_EQ(
      Process(meta, Configs("- {action: labelmap, regex: __meta_kubernetes_pod_label_(.+)}\n")),
      meta.With("app", "web"));
}

TEST(RelabelTest, LowercaseAndUppercase) {
  labels::Labels ls = {{"foo", "bAr123Foo"}};
  EXPECT_EQ(Process(ls, Configs(R"(
- {source_labels: [foo], target_label: foo_lower, action: lowercase}
- {source_labels: [foo], target_label: foo_upper, action: uppercase}
)")),
            labels::Labels(
                {{"foo", "bAr123Foo"}, {"foo_lower", "bar123foo"}, {"foo_upper", "BAR123FOO"}}));
}

TEST(RelabelTest, ConfigErrorsArePrometheusValidationWithPosition) {
  EXPECT_EQ(ConfigError("- {action: hashmod, target_label: x}\n"),
            "r.yml:1:3: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(ConfigError("- {source_labels: [a]}\n"),
            "r.yml:1:3: relabel configuration for replace action requires 'target_label' value");
  EXPECT_EQ(ConfigError("- {action: lowercase, target_label: 'x-y', source_labels: [a]}\n"),
            "r.yml:1:3: \"x-y\" is invalid 'target_label' for lowercase action");
  EXPECT_EQ(ConfigError("- {action: keepequal, target_label: x, regex: a}\n"),
            "r.yml:1:3: keepequal action requires only 'source_labels' and `target_label`, and no "
            "other fields");
  EXPECT_EQ(ConfigError("- {action: labeldrop, regex: a, target_label: x}\n"),
            "r.yml:1:3: labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(ConfigError("- {action: labelmap, replacement: '1x'}\n"),
            "r.yml:1:3: \"1x\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(ConfigError("- action: nope\n"), "r.yml:1:11: unknown relabel action \"nope\"");
  EXPECT_EQ(ConfigError("- {source_labels: ['a-b'], target_label: x}\n"),
            "r.yml:1:20: \"a-b\" is not a valid label name");
  EXPECT_EQ(ConfigError("- {regex: '(', target_label: x}\n")
                .rfind("r.yml:1:11: invalid regular expression \"(\": ", 0),
            0u);
  EXPECT_EQ(ConfigError("- {regexp: x}\n").rfind("r.yml:1:4: ", 0), 0u);
}

}  // namespace
}  // namespace vigil::relabel
