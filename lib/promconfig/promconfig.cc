#include "lib/promconfig/promconfig.h"

#include <glob.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::promconfig {
namespace {

using config::ErrorAt;

absl::StatusOr<labels::Labels> ReadLabelMap(const std::string& file, const YAML::Node& node) {
  if (!node || node.IsNull()) return labels::Labels();
  if (!node.IsMap()) return ErrorAt(file, node, "labels must be a mapping");
  std::vector<labels::Label> out;
  for (const auto& kv : node) {
    std::string name = kv.first.Scalar();
    if (!labels::IsValidLabelName(name))
      return ErrorAt(file, kv.first, StrCat("\"", name, "\" is not a valid label name"));
    if (!kv.second.IsScalar()) return ErrorAt(file, kv.second, "label value must be a string");
    out.push_back(labels::Label{name, kv.second.Scalar()});
  }
  return labels::Labels(std::move(out));
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A static config or a file_sd target group: {targets: [...], labels: {...}}.
absl::StatusOr<StaticConfig> ReadTargetGroup(const std::string& file, const YAML::Node& st,
                                             const char* what) {
  if (auto s = config::ExpectMap(file, st, what); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, st, {"targets", "labels"}, what); !s.ok()) return s;
  StaticConfig out;
  const YAML::Node targets = st["targets"];
  if (targets && !targets.IsNull()) {
    if (!targets.IsSequence()) return ErrorAt(file, targets, "targets must be a list");
    for (const auto& t : targets) {
      if (!t.IsScalar() || t.Scalar().empty())
        return ErrorAt(file, t, "target must be a host:port string");
      if (t.Scalar().find('/') != std::string::npos) {
        return ErrorAt(file, t, StrCat("\"", t.Scalar(), "\" is not a valid hostname"));
      }
      out.targets.push_back(t.Scalar());
    }
  }
  auto ls = ReadLabelMap(file, st["labels"]);
  if (!ls.ok()) return ls.status();
  out.labels = *ls;
  return out;
}

// Reads an optional duration that Prometheus 2.42 treats as unset when it is 0 (its
// GlobalConfig.UnmarshalYAML and ScrapeConfig.Validate fill in the defaults for 0s): `*out`
// keeps its default unless a non-zero value is given; `*set` says whether one was.
absl::Status ReadNonZeroDuration(const std::string& file, const YAML::Node& n, const char* key,
                                 absl::Duration* out, bool* set = nullptr) {
  absl::Duration d = absl::ZeroDuration();
  if (auto s = config::ReadDuration(file, n, key, &d); !s.ok()) return s;
  if (set != nullptr) *set = d != absl::ZeroDuration();
  if (d != absl::ZeroDuration()) *out = d;
  return absl::OkStatus();
}

absl::Status ParseGlobal(const std::string& file, const YAML::Node& n, GlobalConfig* g) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (auto s = config::ExpectMap(file, n, "global"); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, n,
                                 {"scrape_interval", "scrape_timeout", "evaluation_interval",
                                  "external_labels", "query_log_file"},
                                 "global config");
      !s.ok()) {
    return s;
  }
  bool timeout_set = false;
  if (auto s = ReadNonZeroDuration(file, n, "scrape_interval", &g->scrape_interval); !s.ok())
    return s;
  if (auto s = ReadNonZeroDuration(file, n, "scrape_timeout", &g->scrape_timeout, &timeout_set);
      !s.ok())
    return s;
  if (auto s = ReadNonZeroDuration(file, n, "evaluation_interval", &g->evaluation_interval);
      !s.ok())
    return s;
  // Prometheus: without an explicit timeout, a short interval caps the default timeout.
  if (!timeout_set && g->scrape_timeout > g->scrape_interval)
    g->scrape_timeout = g->scrape_interval;
  if (g->scrape_timeout > g->scrape_interval) {
    return ErrorAt(file, n["scrape_timeout"], "global scrape timeout greater than scrape interval");
  }
  auto ext = ReadLabelMap(file, n["external_labels"]);
  if (!ext.ok()) return ext.status();
  g->external_labels = *ext;
  return absl::OkStatus();
}

absl::Status ParseScrapeConfig(const std::string& file, const YAML::Node& n, const GlobalConfig& g,
                               ScrapeConfig* sc) {
  if (auto s = config::ExpectMap(file, n, "scrape config"); !s.ok()) return s;
  for (const char* unsupported : {"kubernetes_sd_configs", "consul_sd_configs",
                                  "dns_sd_configs", "oauth2"}) {
    if (n[unsupported]) {
      return ErrorAt(file, n[unsupported],
                     StrCat(unsupported, " is not supported by this version of vigil yet"));
    }
  }
  if (auto s =
          config::CheckKeys(file, n,
                            {"job_name", "scrape_interval", "scrape_timeout", "metrics_path",
                             "scheme", "honor_labels", "honor_timestamps", "static_configs",
                             "file_sd_configs", "basic_auth", "authorization", "bearer_token",
                             "bearer_token_file", "tls_config", "sample_limit",
                             "label_limit",
                             "label_name_length_limit",
                             "label_value_length_limit", "body_size_limit", "params",
                             "relabel_configs", "metric_relabel_configs"},
                            "scrape config");
      !s.ok()) {
    return s;
  }
  if (auto s = config::ReadString(file, n, "job_name", &sc->job_name); !s.ok()) return s;
  if (sc->job_name.empty()) return ErrorAt(file, n, "job_name is empty");
  sc->scrape_interval = g.scrape_interval;
  sc->scrape_timeout = g.scrape_timeout;
  bool timeout_set = false;
  if (auto s = ReadNonZeroDuration(file, n, "scrape_interval", &sc->scrape_interval); !s.ok())
    return s;
  if (auto s = ReadNonZeroDuration(file, n, "scrape_timeout", &sc->scrape_timeout, &timeout_set);
      !s.ok())
    return s;
  if (!timeout_set && sc->scrape_timeout > sc->scrape_interval)
    sc->scrape_timeout = sc->scrape_interval;
  if (sc->scrape_timeout > sc->scrape_interval) {
    return ErrorAt(
        file, n["scrape_timeout"],
        StrCat("scrape timeout greater than scrape interval for scrape config with job name \"",
               sc->job_name, "\""));
  }
  if (auto s = config::ReadString(file, n, "metrics_path", &sc->metrics_path); !s.ok()) return s;
  if (auto s = config::ReadString(file, n, "scheme", &sc->scheme); !s.ok()) return s;
  if (sc->scheme != "http" && sc->scheme != "https") {
    return ErrorAt(file, n["scheme"], StrCat("unknown scheme \"", sc->scheme, "\""));
  }
  if (auto s = config::ReadBool(file, n, "honor_labels", &sc->honor_labels); !s.ok()) return s;
  if (auto s = config::ReadBool(file, n, "honor_timestamps", &sc->honor_timestamps); !s.ok())
    return s;
  for (auto [key, out] : {std::pair<const char*, uint64_t*>{"sample_limit", &sc->sample_limit},
                          {"label_limit", &sc->label_limit},
                          {"label_name_length_limit", &sc->label_name_length_limit},
                          {"label_value_length_limit", &sc->label_value_length_limit}}) {
    int64_t v = 0;
    if (auto s = config::ReadInt(file, n, key, &v); !s.ok()) return s;
    if (v < 0) return ErrorAt(file, n[key], StrCat(key, " must not be negative"));
    *out = static_cast<uint64_t>(v);
  }
  if (const YAML::Node limit = n["body_size_limit"]; limit && !limit.IsNull()) {
    if (!limit.IsScalar()) return ErrorAt(file, limit, "body_size_limit must be a size");
    auto bytes = ParseBase2Bytes(limit.Scalar());
    if (!bytes.ok()) return ErrorAt(file, limit, std::string(bytes.status().message()));
    sc->body_size_limit = *bytes;
  }
  if (const YAML::Node params = n["params"]; params && !params.IsNull()) {
    if (!params.IsMap()) return ErrorAt(file, params, "params must be a mapping of lists");
    for (const auto& kv : params) {
      std::vector<std::string>& values = sc->params[kv.first.Scalar()];
      if (kv.second.IsScalar()) return ErrorAt(file, kv.second, "a param's values must be a list");
      for (const auto& v : kv.second) {
        if (!v.IsScalar()) return ErrorAt(file, v, "a param value must be a string");
        values.push_back(v.Scalar());
      }
    }
  }
  auto relabels = relabel::ParseConfigs(file, n["relabel_configs"]);
  if (!relabels.ok()) return relabels.status();
  sc->relabel_configs = std::move(*relabels);
  auto metric_relabels = relabel::ParseConfigs(file, n["metric_relabel_configs"]);
  if (!metric_relabels.ok()) return metric_relabels.status();
  sc->metric_relabel_configs = std::move(*metric_relabels);
  const YAML::Node statics = n["static_configs"];
  if (statics && !statics.IsNull()) {
    if (!statics.IsSequence()) return ErrorAt(file, statics, "static_configs must be a list");
    for (const auto& st : statics) {
      auto group = ReadTargetGroup(file, st, "static config");
      if (!group.ok()) return group.status();
      sc->static_configs.push_back(std::move(*group));
    }
  }
  if (auto s = ParseHttpClientConfig(file, DirOf(file), n, &sc->http); !s.ok()) return s;
  const YAML::Node fsds = n["file_sd_configs"];
  if (fsds && !fsds.IsNull()) {
    if (!fsds.IsSequence()) return ErrorAt(file, fsds, "file_sd_configs must be a list");
    for (const auto& f : fsds) {
      if (auto s = config::ExpectMap(file, f, "file_sd config"); !s.ok()) return s;
      if (auto s = config::CheckKeys(file, f, {"files", "refresh_interval"}, "file_sd config");
          !s.ok())
        return s;
      FileSdConfig out;
      if (auto s = config::ReadDuration(file, f, "refresh_interval", &out.refresh_interval);
          !s.ok())
        return s;
      const YAML::Node files = f["files"];
      if (!files || !files.IsSequence() || files.size() == 0) {
        return ErrorAt(file, files ? files : f, "file service discovery config must contain at least one path name");
      }
      for (const auto& p : files) {
        if (!p.IsScalar()) return ErrorAt(file, p, "a file_sd path must be a string");
        std::string name = p.Scalar();
        std::string base = name.substr(name.rfind('/') + 1);
        auto ends = [&](std::string_view ext) {
          return base.size() >= ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0;
        };
        if (!ends(".json") && !ends(".yml") && !ends(".yaml")) {
          return ErrorAt(file, p, StrCat("path name \"", name, "\" is not valid for file discovery"));
        }
        out.files.push_back(name);
        out.resolved_files.push_back(
            !name.empty() && name[0] == '/' ? name : StrCat(DirOf(file), "/", name));
      }
      sc->file_sd_configs.push_back(std::move(out));
    }
  }
  return absl::OkStatus();
}


}  // namespace

absl::StatusOr<std::vector<StaticConfig>> ParseTargetGroups(const std::string& path,
                                                            const std::string& text) {
  auto root = config::ParseYaml(path, text);  // YAML reads JSON too, with line:col
  if (!root.ok()) return root.status();
  std::vector<StaticConfig> out;
  if (!root->IsDefined() || root->IsNull()) return out;
  if (!root->IsSequence()) return ErrorAt(path, *root, "target groups must be a list");
  for (const auto& g : *root) {
    auto group = ReadTargetGroup(path, g, "target group");
    if (!group.ok()) return group.status();
    group->labels = group->labels.With("__meta_filepath", path);
    out.push_back(std::move(*group));
  }
  return out;
}

absl::StatusOr<uint64_t> ParseBase2Bytes(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  uint64_t n = 0;
  std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 0},    {"B", 0},   {"KB", 10}, {"KiB", 10}, {"MB", 20}, {"MiB", 20}, {"GB", 30},
      {"GiB", 30}, {"TB", 40}, {"TiB", 40}, {"PB", 50}, {"PiB", 50}, {"EB", 60}, {"EiB", 60}};
  if (digits > 0 && absl::SimpleAtoi(ToAbsl(text.substr(0, digits)), &n)) {
    for (const auto& [name, shift] : kUnits) {
      if (unit != name) continue;
      if (shift > 0 && n > (UINT64_MAX >> shift)) break;
      return n << shift;
    }
  }
  return absl::InvalidArgumentError(
      StrCat("invalid size \"", text, "\": want an integer with B, KB, MB, GB, TB, PB or EB"));
}

absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(const std::string& path,
                                                       const std::string& text) {
  auto root = config::ParseYaml(path, text);
  if (!root.ok()) return root.status();
  PrometheusConfig cfg;
  cfg.path = path;
  if (!root->IsDefined() || root->IsNull()) return cfg;  // an empty file is a valid config
  if (auto s = config::ExpectMap(path, *root, "configuration"); !s.ok()) return s;
  if (auto s = config::CheckKeys(path, *root,
                                 {"global", "scrape_configs", "rule_files", "alerting",
                                  "remote_write", "remote_read", "storage", "tracing"},
                                 "config");
      !s.ok()) {
    return s;
  }
  if (auto s = ParseGlobal(path, (*root)["global"], &cfg.global); !s.ok()) return s;
  if (const YAML::Node alerting = (*root)["alerting"]; alerting && !alerting.IsNull()) {
    // `alertmanagers` (where Prometheus sends alerts) is read and unused: vigil's alerts go
    // over the bus to the notifier.
    if (auto s = config::ExpectMap(path, alerting, "alerting"); !s.ok()) return s;
    if (auto s = config::CheckKeys(path, alerting, {"alert_relabel_configs", "alertmanagers"},
                                   "alerting config");
        !s.ok()) {
      return s;
    }
    auto relabels = relabel::ParseConfigs(path, alerting["alert_relabel_configs"]);
    if (!relabels.ok()) return relabels.status();
    cfg.alert_relabel_configs = std::move(*relabels);
  }
  const YAML::Node scs = (*root)["scrape_configs"];
  if (scs && !scs.IsNull()) {
    if (!scs.IsSequence()) return ErrorAt(path, scs, "scrape_configs must be a list");
    for (const auto& n : scs) {
      ScrapeConfig sc;
      if (auto s = ParseScrapeConfig(path, n, cfg.global, &sc); !s.ok()) return s;
      for (const auto& other : cfg.scrape_configs) {
        if (other.job_name == sc.job_name) {
          return ErrorAt(
              path, n["job_name"],
              StrCat("found multiple scrape configs with job name \"", sc.job_name, "\""));
        }
      }
      cfg.scrape_configs.push_back(std::move(sc));
    }
  }
  const YAML::Node rfs = (*root)["rule_files"];
  if (rfs && !rfs.IsNull()) {
    if (!rfs.IsSequence()) return ErrorAt(path, rfs, "rule_files must be a list");
    std::string dir = DirOf(path);
    for (const auto& rf : rfs) {
      if (!rf.IsScalar()) return ErrorAt(path, rf, "rule file must be a string");
      std::string pattern = rf.Scalar();
      cfg.rule_files.push_back(pattern);
      std::string full = (!pattern.empty() && pattern[0] == '/') ? pattern : dir + "/" + pattern;
      glob_t g{};
      int rc = glob(full.c_str(), 0, nullptr, &g);
      if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) cfg.resolved_rule_files.push_back(g.gl_pathv[i]);
      } else if (rc != GLOB_NOMATCH) {
        globfree(&g);
        return ErrorAt(path, rf, StrCat("invalid rule file pattern \"", pattern, "\""));
      }
      globfree(&g);
    }
  }
  return cfg;
}

absl::StatusOr<PrometheusConfig> LoadPrometheusConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePrometheusConfig(path, ss.str());
}

}  // namespace vigil::promconfig
