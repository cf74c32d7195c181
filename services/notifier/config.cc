#include "services/notifier/config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/config/yaml.h"
#include "services/notifier/matchers.h"

namespace vigil::notifier {

namespace {

using config::CheckKeys;
using config::ErrorAt;

// A YAML node known to be absent, for "missing key" errors at the enclosing mapping.
class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {
    const size_t slash = file_.rfind('/');
    dir_ = slash == std::string::npos ? "." : file_.substr(0, slash);
    if (dir_.empty()) dir_ = "/";
  }

  absl::Status Parse(const YAML::Node& root, Config* cfg) {
    if (!root || root.IsNull()) {
      return absl::InvalidArgumentError(StrCat(file_, ": no route provided in config"));
    }
    if (auto s = config::ExpectMap(file_, root, "configuration"); !s.ok()) return s;
    if (auto s = CheckKeys(file_, root,
                           {"global", "route", "receivers", "inhibit_rules", "time_intervals",
                            "mute_time_intervals", "templates"},
                           "config");
        !s.ok()) {
      return s;
    }
    if (auto s = ParseGlobal(root["global"], cfg); !s.ok()) return s;
    if (auto s = ParseTemplates(root["templates"], cfg); !s.ok()) return s;
    if (auto s = ParseReceivers(root["receivers"], cfg); !s.ok()) return s;
    if (auto s = ParseTimeIntervals(root["mute_time_intervals"], cfg); !s.ok()) return s;
    if (auto s = ParseTimeIntervals(root["time_intervals"], cfg); !s.ok()) return s;
    const YAML::Node route = root["route"];
    if (!route || route.IsNull()) return ErrorAt(file_, root, "no route provided in config");
    auto r = ParseRoute(route, nullptr, RouteOptions{}, *cfg);
    if (!r.ok()) return r.status();
    cfg->route = std::move(*r);
    return ParseInhibitRules(root["inhibit_rules"], cfg);
  }

 private:
  absl::Status ParseGlobal(const YAML::Node& node, Config* cfg) {
    cfg->global_http = std::make_shared<const HttpClientConfig>();
    if (!node || node.IsNull()) return absl::OkStatus();
    if (auto s = config::ExpectMap(file_, node, "global"); !s.ok()) return s;
    if (auto s = CheckKeys(file_, node, {"resolve_timeout", "http_config"}, "global config");
        !s.ok()) {
      return s;
    }
    if (auto s = ParseHttp(node, cfg->global_http, &cfg->global_http); !s.ok()) return s;
    if (auto s = config::ReadDuration(file_, node, "resolve_timeout", &cfg->resolve_timeout);
        !s.ok()) {
      return s;
    }
    if (cfg->resolve_timeout <= absl::ZeroDuration()) {
      return ErrorAt(file_, node["resolve_timeout"], "resolve_timeout must be positive");
    }
    return absl::OkStatus();
  }

  absl::Status ParseReceivers(const YAML::Node& node, Config* cfg) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "receivers must be a list");
    std::set<std::string> names;
    for (const YAML::Node& item : node) {
      if (auto s = config::ExpectMap(file_, item, "receiver"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, item,
                             {"name", "webhook_configs", "file_configs", "alertmanager_configs"},
                             "receiver");
          !s.ok()) {
        return s;
      }
      Receiver r;
      if (auto s = config::ReadString(file_, item, "name", &r.name); !s.ok()) return s;
      if (r.name.empty()) return ErrorAt(file_, item, "missing name in receiver");
      if (!names.insert(r.name).second) {
        return ErrorAt(file_, item["name"],
                       StrCat("notification config name \"", r.name, "\" is not unique"));
      }
      if (auto s = ParseWebhooks(item["webhook_configs"], *cfg, &r); !s.ok()) return s;
      if (auto s = ParseAlertmanagers(item["alertmanager_configs"], *cfg, &r); !s.ok()) return s;
      if (auto s = ParseFiles(item["file_configs"], &r); !s.ok()) return s;
      r.ListIntegrations();
      cfg->receivers.push_back(std::move(r));
    }
    return absl::OkStatus();
  }

  // `map`'s http_config if it has one, else `fallback` (global.http_config).
  absl::Status ParseHttp(const YAML::Node& map, std::shared_ptr<const HttpClientConfig> fallback,
                         std::shared_ptr<const HttpClientConfig>* out) {
    const YAML::Node node = map["http_config"];
    if (!node || node.IsNull()) {
      *out = std::move(fallback);
      return absl::OkStatus();
    }
    auto http = std::make_shared<HttpClientConfig>();
    if (auto s = ParseHttpConfig(file_, dir_, node, http.get()); !s.ok()) return s;
    *out = std::move(http);
    return absl::OkStatus();
  }

  absl::Status ParseUrl(const YAML::Node& item, const std::string& url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return ErrorAt(file_, item["url"], StrCat("unsupported scheme in url \"", url, "\""));
    }
    return absl::OkStatus();
  }

  // vigil's `alertmanager_configs`: url, send_resolved, http_config.
  absl::Status ParseAlertmanagers(const YAML::Node& node, const Config& cfg, Receiver* r) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "alertmanager_configs must be a list");
    for (const YAML::Node& item : node) {
      if (auto s = config::ExpectMap(file_, item, "alertmanager config"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, item, {"url", "send_resolved", "http_config"},
                             "alertmanager config");
          !s.ok()) {
        return s;
      }
      AlertmanagerConfig a;
      if (auto s = config::ReadString(file_, item, "url", &a.url); !s.ok()) return s;
      if (auto s = config::ReadBool(file_, item, "send_resolved", &a.send_resolved); !s.ok()) {
        return s;
      }
      if (a.url.empty()) return ErrorAt(file_, item, "missing url in alertmanager config");
      if (auto s = ParseUrl(item, a.url); !s.ok()) return s;
      if (auto s = ParseHttp(item, cfg.global_http, &a.http); !s.ok()) return s;
      r->alertmanager_configs.push_back(std::move(a));
    }
    return absl::OkStatus();
  }

  absl::Status ParseTemplates(const YAML::Node& node, Config* cfg) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "templates must be a list of strings");
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return ErrorAt(file_, item, "templates entries must be strings");
      const std::string& glob = item.Scalar();
      cfg->templates.push_back(!glob.empty() && glob[0] == '/' ? glob : StrCat(dir_, "/", glob));
    }
    return absl::OkStatus();
  }

  absl::Status ParseWebhooks(const YAML::Node& node, const Config& cfg, Receiver* r) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "webhook_configs must be a list");
    for (const YAML::Node& item : node) {
      if (auto s = config::ExpectMap(file_, item, "webhook config"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, item,
                             {"url", "send_resolved", "max_alerts", "http_config", "timeout"},
                             "webhook config");
          !s.ok()) {
        return s;
      }
      WebhookConfig w;
      if (auto s = config::ReadString(file_, item, "url", &w.url); !s.ok()) return s;
      if (auto s = config::ReadBool(file_, item, "send_resolved", &w.send_resolved); !s.ok()) {
        return s;
      }
      if (auto s = config::ReadInt(file_, item, "max_alerts", &w.max_alerts); !s.ok()) return s;
      if (auto s = config::ReadDuration(file_, item, "timeout", &w.timeout); !s.ok()) return s;
      if (w.url.empty()) return ErrorAt(file_, item, "one of url or url_file must be configured");
      if (auto s = ParseUrl(item, w.url); !s.ok()) return s;
      if (auto s = ParseHttp(item, cfg.global_http, &w.http); !s.ok()) return s;
      if (w.max_alerts < 0) {
        return ErrorAt(file_, item["max_alerts"], "max_alerts must not be negative");
      }
      r->webhook_configs.push_back(std::move(w));
    }
    return absl::OkStatus();
  }

  absl::Status ParseFiles(const YAML::Node& node, Receiver* r) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "file_configs must be a list");
    for (const YAML::Node& item : node) {
      if (auto s = config::ExpectMap(file_, item, "file config"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, item, {"path", "send_resolved"}, "file config"); !s.ok()) {
        return s;
      }
      FileConfig f;
      if (auto s = config::ReadString(file_, item, "path", &f.path); !s.ok()) return s;
      if (auto s = config::ReadBool(file_, item, "send_resolved", &f.send_resolved); !s.ok()) {
        return s;
      }
      if (f.path.empty()) return ErrorAt(file_, item, "missing path in file config");
      r->file_configs.push_back(std::move(f));
    }
    return absl::OkStatus();
  }

  absl::Status ParseGroupBy(const YAML::Node& node, RouteOptions* opts) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "group_by must be a list");
    opts->group_by.clear();
    opts->group_by_all = false;
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return ErrorAt(file_, item, "group_by entries must be strings");
      const std::string& name = item.Scalar();
      if (name == "...") {
        opts->group_by_all = true;
        continue;
      }
      if (!labels::IsValidLabelName(name)) {
        return ErrorAt(file_, item, StrCat("invalid label name \"", name, "\" in group_by"));
      }
      if (std::find(opts->group_by.begin(), opts->group_by.end(), name) != opts->group_by.end()) {
        return ErrorAt(file_, item, StrCat("duplicated label \"", name, "\" in group_by"));
      }
      opts->group_by.push_back(name);
    }
    if (opts->group_by_all && !opts->group_by.empty()) {
      return ErrorAt(file_, node,
                     "cannot have wildcard group_by (`...`) and other labels at the same time");
    }
    std::sort(opts->group_by.begin(), opts->group_by.end());
    return absl::OkStatus();
  }

  // A list of strings under `key` in `map`, each parsed by `parse`.
  template <typename T, typename Fn>
  absl::Status ParseList(const YAML::Node& map, const char* key, Fn parse, std::vector<T>* out) {
    const YAML::Node node = map[key];
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, StrCat(key, " must be a list"));
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return ErrorAt(file_, item, StrCat(key, " entries must be strings"));
      auto v = parse(item.Scalar());
      if (!v.ok()) return ErrorAt(file_, item, ToStd(v.status().message()));
      out->push_back(*v);
    }
    return absl::OkStatus();
  }

  absl::Status ParseTimeIntervals(const YAML::Node& node, Config* cfg) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "time intervals must be a list");
    for (const YAML::Node& named : node) {
      if (auto s = config::ExpectMap(file_, named, "time interval"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, named, {"name", "time_intervals"}, "time interval"); !s.ok()) {
        return s;
      }
      std::string name;
      if (auto s = config::ReadString(file_, named, "name", &name); !s.ok()) return s;
      if (name.empty()) return ErrorAt(file_, named, "missing name in time interval");
      if (cfg->time_intervals.count(name) > 0) {
        return ErrorAt(file_, named["name"], StrCat("time interval \"", name, "\" is not unique"));
      }
      std::vector<TimeInterval>& list = cfg->time_intervals[name];
      const YAML::Node items = named["time_intervals"];
      if (items && !items.IsNull() && !items.IsSequence()) {
        return ErrorAt(file_, items, "time_intervals must be a list");
      }
      for (const YAML::Node& item : items) {
        if (auto s = config::ExpectMap(file_, item, "time interval"); !s.ok()) return s;
        if (auto s = CheckKeys(
                file_, item, {"times", "weekdays", "days_of_month", "months", "years", "location"},
                "time interval");
            !s.ok()) {
          return s;
        }
        TimeInterval ti;
        const YAML::Node times = item["times"];
        if (times && !times.IsNull()) {
          if (!times.IsSequence()) return ErrorAt(file_, times, "times must be a list");
          for (const YAML::Node& t : times) {
            if (auto s = config::ExpectMap(file_, t, "time range"); !s.ok()) return s;
            if (auto s = CheckKeys(file_, t, {"start_time", "end_time"}, "time range"); !s.ok()) {
              return s;
            }
            std::string start, end;
            if (auto s = config::ReadString(file_, t, "start_time", &start); !s.ok()) return s;
            if (auto s = config::ReadString(file_, t, "end_time", &end); !s.ok()) return s;
            auto a = ParseMinuteOfDay(start);
            if (!a.ok())
              return ErrorAt(file_, t["start_time"] ? t["start_time"] : t,
                             ToStd(a.status().message()));
            auto b = ParseMinuteOfDay(end);
            if (!b.ok())
              return ErrorAt(file_, t["end_time"] ? t["end_time"] : t, ToStd(b.status().message()));
            if (*a >= *b) {
              return ErrorAt(file_, t, "start time cannot be equal or greater than end time");
            }
            ti.times.push_back({*a, *b});
          }
        }
        if (auto s = ParseList(item, "weekdays", ParseWeekdayRange, &ti.weekdays); !s.ok()) {
          return s;
        }
        if (auto s = ParseList(item, "days_of_month", ParseDayOfMonthRange, &ti.days_of_month);
            !s.ok()) {
          return s;
        }
        if (auto s = ParseList(item, "months", ParseMonthRange, &ti.months); !s.ok()) return s;
        if (auto s = ParseList(item, "years", ParseYearRange, &ti.years); !s.ok()) return s;
        std::string location;
        if (auto s = config::ReadString(file_, item, "location", &location); !s.ok()) return s;
        if (!location.empty() && location != "UTC") {
          if (location == "Local") {
            ti.location = absl::LocalTimeZone();
          } else if (!absl::LoadTimeZone(location, &ti.location)) {
            return ErrorAt(file_, item["location"], StrCat("unknown time zone \"", location, "\""));
          }
        }
        list.push_back(std::move(ti));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseIntervalNames(const YAML::Node& route, const char* key, bool root,
                                  const Config& cfg, std::vector<std::string>* out) {
    out->clear();
    const YAML::Node node = route[key];
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, StrCat(key, " must be a list"));
    if (root && node.size() > 0) {
      return ErrorAt(file_, node,
                     StrCat("root route must not have any ",
                            std::string_view(key) == "mute_time_intervals" ? "mute" : "active",
                            " time intervals"));
    }
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return ErrorAt(file_, item, StrCat(key, " entries must be strings"));
      if (cfg.time_intervals.count(item.Scalar()) == 0) {
        return ErrorAt(file_, item,
                       StrCat("undefined time interval \"", item.Scalar(), "\" used in route"));
      }
      out->push_back(item.Scalar());
    }
    return absl::OkStatus();
  }

  absl::Status ParseInhibitRules(const YAML::Node& node, Config* cfg) {
    if (!node || node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return ErrorAt(file_, node, "inhibit_rules must be a list");
    for (const YAML::Node& item : node) {
      if (auto s = config::ExpectMap(file_, item, "inhibit rule"); !s.ok()) return s;
      if (auto s = CheckKeys(file_, item,
                             {"source_matchers", "target_matchers", "equal", "source_match",
                              "source_match_re", "target_match", "target_match_re"},
                             "inhibit rule");
          !s.ok()) {
        return s;
      }
      InhibitRule rule;
      if (auto s = ParseMatchers(item, &rule.source_matchers, "source_match", "source_match_re",
                                 "source_matchers");
          !s.ok()) {
        return s;
      }
      if (auto s = ParseMatchers(item, &rule.target_matchers, "target_match", "target_match_re",
                                 "target_matchers");
          !s.ok()) {
        return s;
      }
      const YAML::Node equal = item["equal"];
      if (equal && !equal.IsNull()) {
        if (!equal.IsSequence()) return ErrorAt(file_, equal, "equal must be a list");
        for (const YAML::Node& name : equal) {
          if (!name.IsScalar() || !labels::IsValidLabelName(name.Scalar())) {
            return ErrorAt(file_, name,
                           StrCat("invalid label name \"", name.Scalar(), "\" in equal"));
          }
          rule.equal.push_back(name.Scalar());
        }
      }
      cfg->inhibit_rules.push_back(std::move(rule));
    }
    return absl::OkStatus();
  }

  absl::Status ParseMatchers(const YAML::Node& route, std::vector<labels::Matcher>* out,
                             const char* match_key = "match", const char* match_re_key = "match_re",
                             const char* matchers_key = "matchers") {
    const YAML::Node match = route[match_key];
    if (match && !match.IsNull()) {
      if (!match.IsMap()) return ErrorAt(file_, match, StrCat(match_key, " must be a mapping"));
      for (const auto& kv : match) {
        const std::string name = kv.first.Scalar();
        if (!labels::IsValidLabelName(name)) {
          return ErrorAt(file_, kv.first, StrCat("\"", name, "\" is not a valid label name"));
        }
        if (!kv.second.IsScalar()) return ErrorAt(file_, kv.second, "match values must be strings");
        auto m = labels::Matcher::Create(labels::MatchType::kEqual, name, kv.second.Scalar());
        if (!m.ok()) return ErrorAt(file_, kv.second, ToStd(m.status().message()));
        out->push_back(std::move(*m));
      }
    }
    const YAML::Node match_re = route[match_re_key];
    if (match_re && !match_re.IsNull()) {
      if (!match_re.IsMap()) {
        return ErrorAt(file_, match_re, StrCat(match_re_key, " must be a mapping"));
      }
      for (const auto& kv : match_re) {
        const std::string name = kv.first.Scalar();
        if (!labels::IsValidLabelName(name)) {
          return ErrorAt(file_, kv.first, StrCat("\"", name, "\" is not a valid label name"));
        }
        if (!kv.second.IsScalar()) {
          return ErrorAt(file_, kv.second, "match_re values must be strings");
        }
        auto m = labels::Matcher::Create(labels::MatchType::kRegex, name, kv.second.Scalar());
        if (!m.ok()) return ErrorAt(file_, kv.second, ToStd(m.status().message()));
        out->push_back(std::move(*m));
      }
    }
    const YAML::Node matchers = route[matchers_key];
    if (matchers && !matchers.IsNull()) {
      if (!matchers.IsSequence()) {
        return ErrorAt(file_, matchers, StrCat(matchers_key, " must be a list"));
      }
      for (const YAML::Node& item : matchers) {
        if (!item.IsScalar()) return ErrorAt(file_, item, "matchers entries must be strings");
        auto ms = notifier::ParseMatchers(item.Scalar());
        if (!ms.ok()) return ErrorAt(file_, item, ToStd(ms.status().message()));
        out->insert(out->end(), std::make_move_iterator(ms->begin()),
                    std::make_move_iterator(ms->end()));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Route>> ParseRoute(const YAML::Node& node, const Route* parent,
                                                    RouteOptions opts, const Config& cfg) {
    if (auto s = config::ExpectMap(file_, node, "route"); !s.ok()) return s;
    if (auto s = CheckKeys(file_, node,
                           {"receiver", "group_by", "continue", "matchers", "match", "match_re",
                            "group_wait", "group_interval", "repeat_interval", "routes",
                            "mute_time_intervals", "active_time_intervals"},
                           "route");
        !s.ok()) {
      return s;
    }
    const bool root = parent == nullptr;
    std::string receiver;
    if (auto s = config::ReadString(file_, node, "receiver", &receiver); !s.ok()) return s;
    if (!receiver.empty()) {
      if (!cfg.FindReceiver(receiver)) {
        return ErrorAt(file_, node["receiver"],
                       StrCat("undefined receiver \"", receiver, "\" used in route"));
      }
      opts.receiver = receiver;
    } else if (root) {
      return ErrorAt(file_, node, "root route must specify a default receiver");
    }
    if (auto s = ParseGroupBy(node["group_by"], &opts); !s.ok()) return s;
    if (auto s =
            ParseIntervalNames(node, "mute_time_intervals", root, cfg, &opts.mute_time_intervals);
        !s.ok()) {
      return s;
    }
    if (auto s = ParseIntervalNames(node, "active_time_intervals", root, cfg,
                                    &opts.active_time_intervals);
        !s.ok()) {
      return s;
    }
    if (auto s = config::ReadDuration(file_, node, "group_wait", &opts.group_wait); !s.ok()) {
      return s;
    }
    if (auto s = config::ReadDuration(file_, node, "group_interval", &opts.group_interval);
        !s.ok()) {
      return s;
    }
    if (opts.group_interval == absl::ZeroDuration()) {
      return ErrorAt(file_, node["group_interval"], "group_interval cannot be zero");
    }
    if (auto s = config::ReadDuration(file_, node, "repeat_interval", &opts.repeat_interval);
        !s.ok()) {
      return s;
    }
    if (opts.repeat_interval == absl::ZeroDuration()) {
      return ErrorAt(file_, node["repeat_interval"], "repeat_interval cannot be zero");
    }
    bool cont = false;
    if (auto s = config::ReadBool(file_, node, "continue", &cont); !s.ok()) return s;
    if (root && cont) return ErrorAt(file_, node["continue"], "cannot have continue in root route");
    std::vector<labels::Matcher> matchers;
    if (auto s = ParseMatchers(node, &matchers); !s.ok()) return s;
    if (root && !matchers.empty()) {
      return ErrorAt(file_, node, "root route must not have any matchers");
    }
    auto route = std::make_unique<Route>(parent, opts, std::move(matchers), cont);
    const YAML::Node children = node["routes"];
    if (children && !children.IsNull()) {
      if (!children.IsSequence()) return ErrorAt(file_, children, "routes must be a list");
      for (const YAML::Node& child : children) {
        auto c = ParseRoute(child, route.get(), opts, cfg);
        if (!c.ok()) return c.status();
        route->AddChild(std::move(*c));
      }
    }
    return route;
  }

  std::string file_;
  std::string dir_;  // of the config file: relative paths resolve against it
};

}  // namespace

const Receiver* Config::FindReceiver(std::string_view name) const {
  for (const Receiver& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

absl::StatusOr<Config> ParseConfig(std::string_view file, const std::string& text) {
  auto root = config::ParseYaml(file, text);
  if (!root.ok()) return root.status();
  Config cfg;
  if (auto s = Parser(file).Parse(*root, &cfg); !s.ok()) return s;
  cfg.original = text;
  return cfg;
}

absl::StatusOr<Config> ParseConfigFile(const std::string& path) {
  auto root = config::LoadYamlFile(path);
  if (!root.ok()) return root.status();
  Config cfg;
  if (auto s = Parser(path).Parse(*root, &cfg); !s.ok()) return s;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  cfg.original = text.str();
  return cfg;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  auto cfg = ParseConfigFile(path);
  if (!cfg.ok()) return cfg.status();
  if (auto s = CheckTemplates(cfg->templates); !s.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", s.message()));
  }
  return cfg;
}

}  // namespace vigil::notifier
