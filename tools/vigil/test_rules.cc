#include "tools/vigil/test_rules.h"

#include <glob.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/config/yaml.h"
#include "lib/promql/engine.h"
#include "lib/promql/parser.h"
#include "lib/rules/alerting_rule.h"
#include "lib/rules/group.h"
#include "lib/rules/rule_file.h"
#include "lib/tsdb/head.h"

namespace vigil::cli {

CLI::App* AddTestRulesCommand(CLI::App& test, TestRulesOptions* o) {
  CLI::App* cmd = test.add_subcommand(
      "rules",
      "Unit-test Prometheus rule files in promtool's test format, like promtool test rules");
  cmd->add_option("files", o->files, "Test files")->required();
  return cmd;
}

namespace {

using Errors = std::vector<std::string>;

// Go's time.Duration.String() for a non-negative ms count ("0s", "1m0s", "1h0m0s", "1.5s").
std::string GoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  if (ms < 0) ms = -ms;
  if (ms < 1000) return StrCat(sign, ms, "ms");
  int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  std::string secs = std::to_string(s);
  if (frac != 0) {
    std::string f = StrCat(1000 + frac).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    secs += "." + f;
  }
  if (h > 0) return StrCat(sign, h, "h", m, "m", secs, "s");
  if (m > 0) return StrCat(sign, m, "m", secs, "s");
  return StrCat(sign, secs, "s");
}

// Go's strconv.FormatFloat(v, 'E', -1, 64): "1E+00", "1.5E-03", "NaN", "+Inf".
std::string GoFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  for (char& c : s) {
    if (c == 'e') c = 'E';
  }
  return s;
}

std::string IndentLines(const std::string& lines, const std::string& indent) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t nl = lines.find('\n', start);
    if (!first) out += indent;
    first = false;
    out += lines.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

struct LabelsAndAnnotations {
  labels::Labels labels;
  labels::Labels annotations;
  bool operator==(const LabelsAndAnnotations&) const = default;
};

// Prometheus labels.Compare: by name, then value, label by label; shorter first.
bool LessLabels(const labels::Labels& a, const labels::Labels& b) { return a < b; }

void SortAlerts(std::vector<LabelsAndAnnotations>& v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (!(a.labels == b.labels)) return LessLabels(a.labels, b.labels);
    return LessLabels(a.annotations, b.annotations);
  });
}

std::string AlertsString(const std::vector<LabelsAndAnnotations>& v) {
  if (v.empty()) return "[]";
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s += i == 0 ? "\n" : ",\n";
    s += StrCat(i, ":",
                IndentLines(StrCat("\nLabels:", v[i].labels.ToString(),
                                   "\nAnnotations:", v[i].annotations.ToString()),
                            "  "));
  }
  return s + "\n]";
}

struct ParsedSample {
  labels::Labels labels;
  double value;
};

std::string SamplesString(const std::vector<ParsedSample>& v) {
  if (v.empty()) return "nil";
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += ", ";
    s += v[i].labels.ToString() + " " + GoFloatE(v[i].value);
  }
  return s;
}

// Prometheus parser.ParseMetric: `name{a="b"}`, `{a="b"}` or `{}`.
absl::StatusOr<labels::Labels> ParseSeriesLabels(const std::string& text) {
  return promql::ParseMetric(text);
}

// Expanding notation of promql/test.go: `1 2 3`, `_`, `_xN`, `stale`, `AxN`, `A+BxN`, `A-BxN`.
// Omitted values are nullopt.
absl::StatusOr<std::vector<std::optional<double>>> ParseValues(const std::string& s) {
  std::vector<std::optional<double>> out;
  std::istringstream in(s);
  std::string tok;
  auto bad = [&](const std::string& t) {
    return absl::InvalidArgumentError(StrCat("invalid series value \"", t, "\""));
  };
  while (in >> tok) {
    if (tok == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    if (tok.rfind("_x", 0) == 0) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(tok.substr(2), &n) || n < 0) return bad(tok);
      if (n >= 50'000'000) return bad(tok);
      for (int64_t i = 0; i < n; ++i) out.push_back(std::nullopt);
      continue;
    }
    if (tok == "stale") {
      out.push_back(codec::StaleNaN());
      continue;
    }
    std::string base = tok;
    int64_t times = -1;
    size_t x = tok.rfind('x');
    if (x != std::string::npos && x > 0 && x + 1 < tok.size() &&
        tok.find_first_not_of("0123456789", x + 1) == std::string::npos) {
      base = tok.substr(0, x);
      if (!absl::SimpleAtoi(tok.substr(x + 1), &times)) return bad(tok);
    }
    size_t split = std::string::npos;
    for (size_t i = 1; i < base.size(); ++i) {
      if ((base[i] == '+' || base[i] == '-') && base[i - 1] != 'e' && base[i - 1] != 'E') {
        split = i;
        break;
      }
    }
    double a = 0, b = 0;
    if (split != std::string::npos) {
      if (times < 0 || !promql::ParseNumber(base.substr(0, split), &a) ||
          !promql::ParseNumber(base.substr(split), &b)) {
        return bad(tok);
      }
    } else if (!promql::ParseNumber(base, &a)) {
      return bad(tok);
    }
    if (times < 0) {
      out.push_back(a);
      continue;
    }
    // promql/parser: a, a+b, ..., (times+1 values), each computed by repeated addition.
    // A bound so that a typo such as 1x99999999999 is an error, not an exhausted memory.
    constexpr int64_t kMaxValues = 50'000'000;
    if (times >= kMaxValues || static_cast<int64_t>(out.size()) + times >= kMaxValues) {
      return absl::InvalidArgumentError(StrCat("too many series values in \"", tok, "\""));
    }
    for (int64_t i = 0; i <= times; ++i) {
      out.push_back(a);
      a += b;
    }
  }
  return out;
}

absl::StatusOr<int64_t> ReadDurationMs(const std::string& file, const YAML::Node& map,
                                       const char* key) {
  YAML::Node n = map[key];
  if (!n || n.IsNull()) return 0;
  if (!n.IsScalar()) return config::ErrorAt(file, n, StrCat(key, " must be a duration"));
  auto d = promql::ParseDurationMs(n.Scalar());
  if (!d.ok()) {
    return config::ErrorAt(file, n, StrCat("not a valid duration string: \"", n.Scalar(), "\""));
  }
  return *d;
}

absl::StatusOr<std::map<std::string, std::string>> ReadStringMap(const std::string& file,
                                                                 const YAML::Node& n) {
  std::map<std::string, std::string> out;
  if (!n || n.IsNull()) return out;
  if (!n.IsMap()) return config::ErrorAt(file, n, "expected a mapping");
  for (const auto& kv : n) {
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      return config::ErrorAt(file, kv.second, "expected a string");
    }
    out[kv.first.Scalar()] = kv.second.IsNull() ? "" : kv.second.Scalar();
  }
  return out;
}

// A YAML scalar decoded into a float64 as Go's yaml.v2 does: plain ints (with 0x/0o/0b and
// `_`), floats matching YAML's float form, .inf/.nan spellings. Quoted strings and "NaN"
// or "+Inf" are strings to yaml.v2, so they fail.
std::optional<double> YamlFloat(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() == "!") return std::nullopt;
  std::string v = n.Scalar();
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (v == ".inf" || v == ".Inf" || v == ".INF" || v == "+.inf" || v == "+.Inf" || v == "+.INF") {
    return INFINITY;
  }
  if (v == "-.inf" || v == "-.Inf" || v == "-.INF") return -INFINITY;
  if (v == ".nan" || v == ".NaN" || v == ".NAN") return NAN;
  std::string plain;
  for (char c : v) {
    if (c != '_') plain += c;
  }
  if (!plain.empty()) {
    errno = 0;
    char* end = nullptr;
    long long i = std::strtoll(plain.c_str(), &end, 0);
    if (*end == '\0' && errno == 0) return static_cast<double>(i);
  }
  if (std::regex_match(v, kFloat)) return std::strtod(v.c_str(), nullptr);
  return std::nullopt;
}

// Fails unless `n` is absent, null or a sequence whose items are all of `kind`.
absl::Status ExpectSeqOf(const std::string& file, const YAML::Node& n, YAML::NodeType::value kind,
                         std::string_view what) {
  if (!n || n.IsNull()) return absl::OkStatus();
  if (!n.IsSequence()) return config::ErrorAt(file, n, StrCat(what, " must be a list"));
  for (const YAML::Node& item : n) {
    if (item.Type() != kind && !(kind == YAML::NodeType::Map && item.IsNull())) {
      return config::ErrorAt(file, item, StrCat("unexpected item in ", what));
    }
  }
  return absl::OkStatus();
}

struct AlertTest {
  int64_t eval_time = 0;
  std::string alertname;
  std::vector<LabelsAndAnnotations> exp;  // alertname added
};

struct ExprTest {
  std::string expr;
  int64_t eval_time = 0;
  std::vector<std::pair<std::string, double>> exp;  // labels text, value
};

struct TestGroup {
  int64_t interval = 0;
  std::vector<std::pair<std::string, std::string>> input;  // series, values
  std::vector<AlertTest> alerts;
  std::vector<ExprTest> exprs;
  labels::Labels external_labels;
  std::string external_url;
  std::string name;
};

absl::StatusOr<TestGroup> ReadTestGroup(const std::string& file, const YAML::Node& n) {
  TestGroup tg;
  if (auto s = config::CheckKeys(file, n,
                                 {"interval", "input_series", "alert_rule_test", "promql_expr_test",
                                  "external_labels", "external_url", "name"},
                                 "test group");
      !s.ok()) {
    return s;
  }
  auto iv = ReadDurationMs(file, n, "interval");
  if (!iv.ok()) return iv.status();
  tg.interval = *iv;
  if (auto st = config::ReadString(file, n, "name", &tg.name); !st.ok()) return st;
  if (auto st = config::ReadString(file, n, "external_url", &tg.external_url); !st.ok()) return st;
  auto ext = ReadStringMap(file, n["external_labels"]);
  if (!ext.ok()) return ext.status();
  std::vector<labels::Label> el;
  for (const auto& [k, v] : *ext) el.push_back({k, v});
  tg.external_labels = labels::Labels(std::move(el));
  if (YAML::Node is = n["input_series"]; is && !is.IsNull()) {
    if (auto st = ExpectSeqOf(file, is, YAML::NodeType::Map, "input_series"); !st.ok()) return st;
    for (const YAML::Node& s : is) {
      if (auto st = config::CheckKeys(file, s, {"series", "values"}, "input series"); !st.ok()) {
        return st;
      }
      std::string series, values;
      if (auto st = config::ReadString(file, s, "series", &series); !st.ok()) return st;
      if (auto st = config::ReadString(file, s, "values", &values); !st.ok()) return st;
      tg.input.emplace_back(std::move(series), std::move(values));
    }
  }
  if (YAML::Node at = n["alert_rule_test"]; at && !at.IsNull()) {
    if (auto st = ExpectSeqOf(file, at, YAML::NodeType::Map, "alert_rule_test"); !st.ok())
      return st;
    for (const YAML::Node& a : at) {
      if (auto st =
              config::CheckKeys(file, a, {"eval_time", "alertname", "exp_alerts"}, "alert test");
          !st.ok()) {
        return st;
      }
      AlertTest t;
      auto et = ReadDurationMs(file, a, "eval_time");
      if (!et.ok()) return et.status();
      t.eval_time = *et;
      if (auto st = config::ReadString(file, a, "alertname", &t.alertname); !st.ok()) return st;
      if (YAML::Node ea = a["exp_alerts"]; ea && !ea.IsNull()) {
        if (auto st = ExpectSeqOf(file, ea, YAML::NodeType::Map, "exp_alerts"); !st.ok()) return st;
        for (const YAML::Node& e : ea) {
          if (auto st =
                  config::CheckKeys(file, e, {"exp_labels", "exp_annotations"}, "expected alert");
              !st.ok()) {
            return st;
          }
          auto el2 = ReadStringMap(file, e["exp_labels"]);
          if (!el2.ok()) return el2.status();
          auto ea2 = ReadStringMap(file, e["exp_annotations"]);
          if (!ea2.ok()) return ea2.status();
          (*el2)["alertname"] = t.alertname;
          std::vector<labels::Label> ls, as;
          for (const auto& [k, v] : *el2) ls.push_back({k, v});
          for (const auto& [k, v] : *ea2) as.push_back({k, v});
          t.exp.push_back({labels::Labels(std::move(ls)), labels::Labels(std::move(as))});
        }
      }
      tg.alerts.push_back(std::move(t));
    }
  }
  if (YAML::Node pt = n["promql_expr_test"]; pt && !pt.IsNull()) {
    if (auto st = ExpectSeqOf(file, pt, YAML::NodeType::Map, "promql_expr_test"); !st.ok())
      return st;
    for (const YAML::Node& p : pt) {
      if (auto st = config::CheckKeys(file, p, {"expr", "eval_time", "exp_samples"}, "promql test");
          !st.ok()) {
        return st;
      }
      ExprTest t;
      if (auto st = config::ReadString(file, p, "expr", &t.expr); !st.ok()) return st;
      auto et = ReadDurationMs(file, p, "eval_time");
      if (!et.ok()) return et.status();
      t.eval_time = *et;
      if (YAML::Node es = p["exp_samples"]; es && !es.IsNull()) {
        if (auto st = ExpectSeqOf(file, es, YAML::NodeType::Map, "exp_samples"); !st.ok())
          return st;
        for (const YAML::Node& e : es) {
          if (auto st = config::CheckKeys(file, e, {"labels", "value"}, "expected sample");
              !st.ok()) {
            return st;
          }
          double v = 0;
          if (e["value"]) {
            auto pv = YamlFloat(e["value"]);
            if (!pv) {
              return config::ErrorAt(
                  file, e["value"],
                  StrCat("cannot unmarshal !!str `", e["value"].Scalar(), "` into float64"));
            }
            v = *pv;
          }
          std::string ls;
          if (auto st = config::ReadString(file, e, "labels", &ls); !st.ok()) return st;
          t.exp.emplace_back(std::move(ls), v);
        }
      }
      tg.exprs.push_back(std::move(t));
    }
  }
  return tg;
}

absl::StatusOr<promql::Vector> QueryVector(const promql::Expr& expr, const tsdb::Head& head,
                                           TimestampMs t, const promql::QueryOptions& opts) {
  promql::HeadQueryable q(head);
  auto v = promql::Query(expr, q, t, opts);
  if (!v.ok()) return v.status();
  if (v->type == promql::ValueType::kVector) return std::move(v->vector);
  if (v->type == promql::ValueType::kScalar) {
    return promql::Vector{promql::Sample{labels::Labels(), v->scalar, t}};
  }
  return absl::InvalidArgumentError("rule result is not a vector or scalar");
}

struct InputPoint {
  size_t series;
  TimestampMs t;
  double v;
};

Errors RunTestGroup(const TestGroup& tg, int64_t eval_interval,
                    const std::map<std::string, int>& group_order,
                    const std::vector<std::string>& rule_files) {
  int64_t interval = tg.interval;
  // Input series, in the load command's notation.
  std::vector<labels::Labels> series;
  std::vector<InputPoint> points;
  for (const auto& [desc, values] : tg.input) {
    auto ls = ParseSeriesLabels(desc);
    if (!ls.ok()) return {StrCat(ls.status().message())};
    if (ls->empty()) return {"empty labelset: invalid sample"};
    auto vs = ParseValues(values);
    if (!vs.ok()) return {StrCat(vs.status().message())};
    series.push_back(*ls);
    for (size_t i = 0; i < vs->size(); ++i) {
      if ((*vs)[i])
        points.push_back({series.size() - 1, static_cast<TimestampMs>(i) * interval, *(*vs)[i]});
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const InputPoint& a, const InputPoint& b) { return a.t < b.t; });

  // Rule groups, ordered by group_eval_order (others first, as order 0).
  std::vector<std::unique_ptr<rules::Group>> groups;
  for (const std::string& f : rule_files) {
    auto specs = rules::LoadRuleFile(f);
    if (!specs.ok()) return {std::string(specs.status().message())};
    for (rules::GroupSpec& g : *specs) {
      groups.push_back(
          std::make_unique<rules::Group>(std::move(g), absl::Milliseconds(eval_interval),
                                         tg.external_labels, tg.external_url));
    }
  }
  auto order = [&](const rules::Group& g) {
    auto it = group_order.find(g.name());
    return it == group_order.end() ? 0 : it->second;
  };
  std::stable_sort(groups.begin(), groups.end(),
                   [&](const auto& a, const auto& b) { return order(*a) < order(*b); });

  for (const AlertTest& a : tg.alerts) {
    if (a.alertname.empty()) {
      std::string where = tg.name.empty() ? "" : StrCat(" (in TestGroup ", tg.name, ")");
      return {
          StrCat("an item under alert_rule_test misses required attribute alertname at eval_time ",
                 promql::FormatDuration(a.eval_time), where)};
    }
  }
  int64_t maxt = 0;
  for (const AlertTest& a : tg.alerts) maxt = std::max(maxt, a.eval_time);
  for (const ExprTest& e : tg.exprs) maxt = std::max(maxt, e.eval_time);
  std::vector<int64_t> alert_times;
  for (const AlertTest& a : tg.alerts) alert_times.push_back(a.eval_time);
  std::sort(alert_times.begin(), alert_times.end());
  alert_times.erase(std::unique(alert_times.begin(), alert_times.end()), alert_times.end());

  tsdb::Head head;
  promql::QueryOptions opts;
  opts.default_subquery_step_ms = eval_interval;
  rules::QueryFunc query = [&](const promql::Expr& e, TimestampMs t) {
    return QueryVector(e, head, t, opts);
  };

  Errors errs;
  size_t next_point = 0, curr = 0;
  for (int64_t ts = 0; ts <= maxt; ts += eval_interval) {
    while (next_point < points.size() && points[next_point].t <= ts) {
      const InputPoint& p = points[next_point++];
      head.Append(series[p.series], p.t, p.v);
    }
    Errors eval_errs;
    for (auto& g : groups) {
      rules::GroupResult r =
          g->Eval(ts, query, rules::GroupEvalOptions{},
                  [&](const rules::RecordedSample& s) { head.Append(s.labels, s.t, s.value); });
      for (const auto& [i, error] : r.errors) {
        eval_errs.push_back(
            StrCat("    rule: ", g->rule(i).name(), ", time: ", GoDuration(ts), ", err: ", error));
      }
    }
    errs.insert(errs.end(), eval_errs.begin(), eval_errs.end());
    if (!eval_errs.empty()) return errs;

    // Alerts whose eval_time falls in [ts, ts + eval_interval) are compared now.
    while (curr < alert_times.size() && ts <= alert_times[curr] &&
           alert_times[curr] < ts + eval_interval) {
      int64_t t = alert_times[curr];
      for (const AlertTest& tc : tg.alerts) {
        if (tc.eval_time != t) continue;
        std::vector<LabelsAndAnnotations> got;
        for (const auto& g : groups) {
          for (size_t i = 0; i < g->size(); ++i) {
            const rules::AlertingRule* ar = g->alerting(i);
            if (ar == nullptr || ar->spec().alert != tc.alertname) continue;
            for (const auto& [fp, a] : ar->active()) {
              if (a.state != rules::AlertState::kFiring) continue;
              std::vector<labels::Label> as;
              for (const auto& [k, v] : a.annotations) as.push_back({k, v});
              got.push_back({a.labels, labels::Labels(std::move(as))});
            }
          }
        }
        std::vector<LabelsAndAnnotations> exp = tc.exp;
        SortAlerts(got);
        SortAlerts(exp);
        if (exp != got) {
          std::string name = tg.name.empty() ? "" : StrCat("    name: ", tg.name, ",\n");
          errs.push_back(
              StrCat(name, "    alertname: ", tc.alertname,
                     ", time: ", promql::FormatDuration(tc.eval_time),
                     ", \n        exp:", IndentLines(AlertsString(exp), "            "),
                     ", \n        got:", IndentLines(AlertsString(got), "            ")));
        }
      }
      ++curr;
    }
  }

  for (const ExprTest& tc : tg.exprs) {
    std::string where =
        StrCat("    expr: ", promql::GoQuote(tc.expr), ", time: ", promql::FormatDuration(tc.eval_time));
    auto e = promql::ParseExpr(tc.expr);
    if (!e.ok()) {
      errs.push_back(StrCat(where, ", err: ", e.status().message()));
      continue;
    }
    auto got_vec = QueryVector(**e, head, tc.eval_time, opts);
    if (!got_vec.ok()) {
      errs.push_back(StrCat(where, ", err: ", got_vec.status().message()));
      continue;
    }
    std::vector<ParsedSample> got, exp;
    for (const promql::Sample& s : *got_vec) got.push_back({s.metric, s.value});
    bool bad = false;
    for (const auto& [text, v] : tc.exp) {
      auto ls = ParseSeriesLabels(text);
      if (!ls.ok()) {
        errs.push_back(StrCat(where, ", err: labels \"", text, "\": ", ls.status().message()));
        bad = true;
        break;
      }
      exp.push_back({*ls, v});
    }
    if (bad) continue;
    auto by_labels = [](const ParsedSample& a, const ParsedSample& b) {
      return LessLabels(a.labels, b.labels);
    };
    std::stable_sort(exp.begin(), exp.end(), by_labels);
    std::stable_sort(got.begin(), got.end(), by_labels);
    // reflect.DeepEqual: floats compare with ==, so an expected NaN never matches.
    bool equal = exp.size() == got.size();
    for (size_t i = 0; equal && i < exp.size(); ++i) {
      equal = exp[i].labels == got[i].labels && exp[i].value == got[i].value;
    }
    if (!equal) {
      errs.push_back(StrCat(where, ",\n        exp: ", SamplesString(exp),
                            "\n        got: ", SamplesString(got)));
    }
  }
  return errs;
}

Errors RunTestFile(const std::string& filename) {
  auto root = config::LoadYamlFile(filename);
  if (!root.ok()) return {std::string(root.status().message())};
  const YAML::Node& n = *root;
  if (!n.IsMap() && !n.IsNull()) return {StrCat(filename, ": a test file must be a mapping")};
  if (n.IsNull()) return {};
  for (auto [key, kind] : {std::pair{"rule_files", YAML::NodeType::Scalar},
                           std::pair{"group_eval_order", YAML::NodeType::Scalar},
                           std::pair{"tests", YAML::NodeType::Map}}) {
    if (auto s = ExpectSeqOf(filename, n[key], kind, key); !s.ok()) {
      return {std::string(s.message())};
    }
  }
  if (auto s = config::CheckKeys(filename, n,
                                 {"rule_files", "evaluation_interval", "group_eval_order", "tests"},
                                 "test file");
      !s.ok()) {
    return {std::string(s.message())};
  }
  std::vector<std::string> rule_files;
  std::string base = std::filesystem::path(filename).parent_path().string();
  if (YAML::Node rf = n["rule_files"]; rf && !rf.IsNull()) {
    for (const YAML::Node& f : rf) {
      std::string p = f.Scalar();
      if (!p.empty() && p[0] != '/')
        p = (std::filesystem::path(base) / p).lexically_normal().string();
      glob_t g{};
      if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) rule_files.push_back(g.gl_pathv[i]);
      } else {
        std::cerr << "  WARNING: no file match pattern " << p << "\n";
      }
      globfree(&g);
    }
  }
  auto ei = ReadDurationMs(filename, n, "evaluation_interval");
  if (!ei.ok()) return {std::string(ei.status().message())};
  int64_t eval_interval = *ei == 0 ? 60'000 : *ei;
  std::map<std::string, int> group_order;
  if (YAML::Node go = n["group_eval_order"]; go && !go.IsNull()) {
    int i = 0;
    for (const YAML::Node& g : go) {
      if (!group_order.emplace(g.Scalar(), i++).second) {
        return {StrCat("group name repeated in evaluation order: ", g.Scalar())};
      }
    }
  }
  Errors errs;
  if (YAML::Node tests = n["tests"]; tests && !tests.IsNull()) {
    for (const YAML::Node& t : tests) {
      if (t.IsNull()) continue;  // an empty test group tests nothing
      auto tg = ReadTestGroup(filename, t);
      if (!tg.ok()) return {std::string(tg.status().message())};
      // No interval: promtool loads the series with "load 0s", every value at time 0 (the
      // first one is kept).
      Errors e = RunTestGroup(*tg, eval_interval, group_order, rule_files);
      errs.insert(errs.end(), e.begin(), e.end());
    }
  }
  return errs;
}

}  // namespace

int TestRuleFiles(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  bool failed = false;
  for (const std::string& f : files) {
    out << "Unit Testing:  " << f << "\n";
    Errors errs;
    try {
      errs = RunTestFile(f);
    } catch (const YAML::Exception& e) {
      // A shape this reader did not anticipate: an error for this file, never a crash.
      errs = {StrCat(f, ": ", e.what())};
    }
    if (!errs.empty()) {
      err << "  FAILED:\n";
      for (const std::string& e : errs) {
        err << e << "\n";
        out << "\n";
      }
      failed = true;
    } else {
      out << "  SUCCESS\n";
    }
    out << "\n";
  }
  return failed ? 1 : 0;
}

int RunTestRules(const TestRulesOptions& options) {
  return TestRuleFiles(options.files, std::cout, std::cerr);
}

}  // namespace vigil::cli
