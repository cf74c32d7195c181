#include "lib/rules/rule_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "lib/base/format.h"
#include "lib/config/yaml.h"
#include "lib/json/go_string.h"
#include "lib/promql/parser.h"
#include "lib/rules/template.h"

namespace vigil::rules {
namespace {

using config::ErrorAt;

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadStringMap(
    const std::string& file, const YAML::Node& n, std::string_view what) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n || n.IsNull()) return out;
  if (!n.IsMap()) return ErrorAt(file, n, StrCat(what, " must be a mapping"));
  for (const auto& kv : n) {
    if (!kv.second.IsScalar()) return ErrorAt(file, kv.second, StrCat(what, " values must be strings"));
    out.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status ParseRule(const std::string& file, const std::string& group, int index,
                       const YAML::Node& n, RuleSpec* r) {
  if (auto s = config::ExpectMap(file, n, "rule"); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, n,
                                 {"alert", "record", "expr", "for", "keep_firing_for", "labels",
                                  "annotations"},
                                 "rule");
      !s.ok()) {
    return s;
  }
  if (auto s = config::ReadString(file, n, "alert", &r->alert); !s.ok()) return s;
  if (auto s = config::ReadString(file, n, "record", &r->record); !s.ok()) return s;
  std::string where = StrCat("group \"", group, "\", rule ", index + 1);
  if (r->alert.empty() == r->record.empty()) {
    return ErrorAt(file, n, StrCat(where, ": one of 'record' or 'alert' must be set"));
  }
  where = StrCat(where, ", \"", r->name(), "\"");
  if (!r->record.empty() && !labels::IsValidMetricName(r->record)) {
    return ErrorAt(file, n["record"], StrCat(where, ": invalid recording rule name: ", r->record));
  }
  const YAML::Node expr = n["expr"];
  if (!expr || expr.IsNull() || !expr.IsScalar() || expr.Scalar().empty()) {
    return ErrorAt(file, expr ? expr : n, StrCat(where, ": field 'expr' must be set in rule"));
  }
  r->expr_text = expr.Scalar();
  auto parsed = promql::ParseExpr(r->expr_text);
  if (!parsed.ok()) {
    return ErrorAt(file, expr, StrCat(where, ": could not parse expression: ", parsed.status().message()));
  }
  r->expr = std::shared_ptr<const promql::Expr>(std::move(*parsed));
  if (auto s = config::ReadDuration(file, n, "for", &r->for_duration); !s.ok()) return s;
  if (auto s = config::ReadDuration(file, n, "keep_firing_for", &r->keep_firing_for); !s.ok()) return s;
  auto ls = ReadStringMap(file, n["labels"], "labels");
  if (!ls.ok()) return ls.status();
  auto ann = ReadStringMap(file, n["annotations"], "annotations");
  if (!ann.ok()) return ann.status();
  // rulefmt's Validate: a recording rule may name these fields only with their zero value
  // (`for: 0s`, `annotations: {}` pass, as in promtool).
  if (!r->record.empty()) {
    const bool set[] = {r->for_duration != absl::ZeroDuration(),
                        r->keep_firing_for != absl::ZeroDuration(), !ann->empty()};
    const char* keys[] = {"for", "keep_firing_for", "annotations"};
    for (int i = 0; i < 3; ++i) {
      if (set[i]) {
        return ErrorAt(file, n[keys[i]],
                       StrCat(where, ": invalid field '", keys[i], "' in recording rule"));
      }
    }
  }
  std::vector<labels::Label> lv;
  for (auto& [k, v] : *ls) {
    if (!labels::IsValidLabelName(k) || k == labels::kMetricName) {
      return ErrorAt(file, n["labels"], StrCat(where, ": invalid label name: ", k));
    }
    if (!json::GoValidUtf8(v)) {
      return ErrorAt(file, n["labels"], StrCat(where, ": invalid label value: ", v));
    }
    lv.push_back(labels::Label{k, v});
  }
  r->labels = labels::Labels(std::move(lv));
  for (const auto& [k, v] : *ann) {
    if (!labels::IsValidLabelName(k)) {
      return ErrorAt(file, n["annotations"], StrCat(where, ": invalid annotation name: ", k));
    }
  }
  r->annotations = std::move(*ann);
  // Prometheus's rulefmt parses an alert's templates when it loads the file.
  if (!r->alert.empty()) {
    std::string tmpl_name = StrCat("__alert_", r->alert);
    for (const labels::LabelView& l : r->labels) {
      if (auto s = CheckTemplate(tmpl_name, l.value); !s.ok()) {
        return ErrorAt(file, n["labels"], StrCat(where, ": label \"", l.name, "\": ", s.message()));
      }
    }
    for (const auto& [k, v] : r->annotations) {
      if (auto s = CheckTemplate(tmpl_name, v); !s.ok()) {
        return ErrorAt(file, n["annotations"], StrCat(where, ": annotation \"", k, "\": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

// promtool writes a rule file's positioned errors as "file: line:col: what" (rulefmt's
// WrappedError behind the file name); the YAML helpers write "file:line:col: what".
absl::Status AsPromtoolWrites(const std::string& path, absl::Status s) {
  const std::string_view msg = ToStd(s.message());
  if (s.ok() || !msg.starts_with(path) || msg.size() <= path.size() + 1 ||
      msg[path.size()] != ':' || !std::isdigit(static_cast<unsigned char>(msg[path.size() + 1]))) {
    return s;
  }
  return absl::Status(s.code(), StrCat(path, ": ", msg.substr(path.size() + 1)));
}

absl::StatusOr<std::vector<GroupSpec>> ParseRuleFileAt(const std::string& path,
                                                       const std::string& text) {
  auto root = config::ParseYaml(path, text);
  if (!root.ok()) return root.status();
  std::vector<GroupSpec> out;
  if (!root->IsDefined() || root->IsNull()) return out;
  if (auto s = config::ExpectMap(path, *root, "rule file"); !s.ok()) return s;
  if (auto s = config::CheckKeys(path, *root, {"groups"}, "rule file"); !s.ok()) return s;
  const YAML::Node groups = (*root)["groups"];
  if (!groups || groups.IsNull()) return out;
  if (!groups.IsSequence()) return ErrorAt(path, groups, "groups must be a list");
  for (const auto& g : groups) {
    if (auto s = config::ExpectMap(path, g, "group"); !s.ok()) return s;
    if (auto s = config::CheckKeys(path, g, {"name", "interval", "limit", "labels", "rules"},
                                   "rule group");
        !s.ok()) {
      return s;
    }
    GroupSpec spec;
    spec.file = path;
    if (auto s = config::ReadString(path, g, "name", &spec.name); !s.ok()) return s;
    if (spec.name.empty()) return ErrorAt(path, g, "Groupname must not be empty");
    for (const auto& other : out) {
      if (other.name == spec.name) {
        return ErrorAt(path, g["name"], StrCat("groupname: \"", spec.name, "\" is repeated in the same file"));
      }
    }
    if (auto s = config::ReadDuration(path, g, "interval", &spec.interval); !s.ok()) return s;
    if (auto s = config::ReadInt(path, g, "limit", &spec.limit); !s.ok()) return s;
    auto gl = ReadStringMap(path, g["labels"], "labels");
    if (!gl.ok()) return gl.status();
    std::vector<labels::Label> glv;
    for (auto& [k, v] : *gl) glv.push_back(labels::Label{k, v});
    spec.labels = labels::Labels(std::move(glv));
    const YAML::Node rules = g["rules"];
    if (rules && !rules.IsNull()) {
      if (!rules.IsSequence()) return ErrorAt(path, rules, "rules must be a list");
      int i = 0;
      for (const auto& rn : rules) {
        RuleSpec r;
        if (auto s = ParseRule(path, spec.name, i++, rn, &r); !s.ok()) return s;
        spec.rules.push_back(std::move(r));
      }
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<GroupSpec>> ParseRuleFile(const std::string& path,
                                                     const std::string& text) {
  auto groups = ParseRuleFileAt(path, text);
  if (!groups.ok()) return AsPromtoolWrites(path, groups.status());
  return groups;
}

absl::StatusOr<std::vector<GroupSpec>> LoadRuleFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRuleFile(path, ss.str());
}

}  // namespace vigil::rules
