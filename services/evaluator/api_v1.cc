#include "services/evaluator/api_v1.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "services/evaluator/api_v1_json.h"

namespace vigil::evaluator {

namespace {

using namespace std::chrono_literals;

// Prometheus's minTime/maxTime: the defaults of optional start/end.
constexpr TimestampMs kMinTime = -9223309901257974;  // time.Unix(MinInt64/1000+62135596801, 0)
constexpr TimestampMs kMaxTime = 9223309901257974;

// Go's r.Form: the form-encoded body of a POST first, then the URL's query.
class Form {
 public:
  explicit Form(const httplib::Request& req) {
    if (req.method == "POST" &&
        req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
      httplib::Params body;
      httplib::detail::parse_query_text(req.body, body);
      values_.insert(values_.end(), body.begin(), body.end());
    }
    if (size_t q = req.target.find('?'); q != std::string::npos) {
      httplib::Params url;
      httplib::detail::parse_query_text(req.target.substr(q + 1), url);
      values_.insert(values_.end(), url.begin(), url.end());
    }
  }
  // The first value, "" when absent (Go's FormValue).
  std::string Get(const std::string& key) const {
    for (const auto& [k, v] : values_)
      if (k == key) return v;
    return "";
  }
  std::vector<std::string> All(const std::string& key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_)
      if (k == key) out.push_back(v);
    return out;
  }

 private:
  // parse_query_text fills a multimap: values of one key keep their order.
  std::vector<std::pair<std::string, std::string>> values_;
};

absl::Status InvalidParam(const absl::Status& s, std::string_view param) {
  return absl::InvalidArgumentError(
      StrCat("invalid parameter \"", param, "\": ", ToStd(s.message())));
}

// parseTimeParam: a default when absent, errors wrapped as Prometheus wraps them.
absl::StatusOr<TimestampMs> TimeParam(const Form& f, const std::string& name,
                                      TimestampMs default_value) {
  std::string v = f.Get(name);
  if (v.empty()) return default_value;
  auto t = ParseApiTime(v);
  if (!t.ok()) {
    return InvalidParam(absl::InvalidArgumentError(StrCat("Invalid time value for '", name,
                                                          "': ", ToStd(t.status().message()))),
                        name);
  }
  return *t;
}

// `timeout`: a duration that shortens the default (Prometheus's --query.timeout, 2m).
absl::StatusOr<std::chrono::milliseconds> TimeoutParam(const Form& f) {
  std::string to = f.Get("timeout");
  if (to.empty()) return QueryApi::kDefaultTimeout;
  auto d = ParseApiDuration(to);
  if (!d.ok()) return InvalidParam(d.status(), "timeout");
  return std::clamp(std::chrono::milliseconds(*d), std::chrono::milliseconds(0),
                    QueryApi::kDefaultTimeout);
}

// parseMatchersParam: every selector parsed, and each with a matcher that rejects "".
// Errors are unwrapped (the callers wrap them as Prometheus does per endpoint).
absl::StatusOr<std::vector<std::vector<labels::Matcher>>> MatchersParam(
    const std::vector<std::string>& selectors) {
  std::vector<std::vector<labels::Matcher>> sets;
  for (const std::string& s : selectors) {
    auto m = ParseMetricSelector(s);
    if (!m.ok()) return m.status();
    bool non_empty = std::any_of(m->begin(), m->end(),
                                 [](const labels::Matcher& x) { return !x.MatchesValue(""); });
    if (!non_empty) {
      return absl::InvalidArgumentError("match[] must contain at least one non-empty matcher");
    }
    sets.push_back(std::move(*m));
  }
  return sets;
}

// start, end (default: all time) and match[] of /series, /labels and /label/../values.
// Only /series wraps a bad selector's error as `invalid parameter "match[]"`.
struct SeriesParams {
  TimestampMs start, end;
  std::vector<std::vector<labels::Matcher>> selectors;
};
absl::StatusOr<SeriesParams> ReadSeriesParams(const Form& f, bool wrap_match_errors) {
  auto start = TimeParam(f, "start", kMinTime);
  if (!start.ok()) return start.status();
  auto end = TimeParam(f, "end", kMaxTime);
  if (!end.ok()) return end.status();
  auto sets = MatchersParam(f.All("match[]"));
  if (!sets.ok()) return wrap_match_errors ? InvalidParam(sets.status(), "match[]") : sets.status();
  return SeriesParams{*start, *end, std::move(*sets)};
}

std::string StringList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const std::string& s : v) {
    if (out.size() > 1) out += ',';
    out += JsonString(s);
  }
  return out + "]";
}

void Reply(httplib::Response& res, const absl::StatusOr<std::string>& data) {
  if (data.ok()) {
    res.status = 200;
    res.set_content(SuccessJson(*data), "application/json");
    return;
  }
  ApiError e = ClassifyError(data.status());
  res.status = e.http_status;
  res.set_content(ErrorJson(e.type, ToStd(data.status().message())), "application/json");
}

std::string Seconds(absl::Duration d) {
  double s = absl::ToDoubleSeconds(d);
  return s == 0 ? "0" : promql::FormatFloatF(s);
}

std::string AnnotationsJson(const std::vector<std::pair<std::string, std::string>>& a) {
  std::vector<labels::Label> items;
  for (const auto& [k, v] : a) items.push_back({k, v});
  return JsonLabels(labels::Labels(std::move(items)));
}

// Prometheus's API Alert: labels, annotations, state, activeAt, keepFiringSince, value
// (strconv.FormatFloat(v, 'e', -1, 64)).
std::string AlertJson(const rules::Alert& a) {
  std::string out = StrCat(
      "{\"labels\":", JsonLabels(a.labels), ",\"annotations\":", AnnotationsJson(a.annotations),
      ",\"state\":\"", rules::AlertStateName(a.state), "\",\"activeAt\":", JsonTime(a.active_at));
  if (a.keep_firing_since != rules::kUnsetMs) {
    out += StrCat(",\"keepFiringSince\":", JsonTime(a.keep_firing_since));
  }
  return StrCat(out, ",\"value\":", JsonString(FormatFloatE(a.value)), "}");
}

// A rule's pending and firing alerts (resolved ones are kept only for re-sending), in
// label order.
std::vector<const rules::Alert*> ActiveAlerts(const rules::AlertingRule& r) {
  std::vector<const rules::Alert*> out;
  for (const auto& [fp, a] : r.active()) {
    if (a.state != rules::AlertState::kInactive) out.push_back(&a);
  }
  std::sort(out.begin(), out.end(),
            [](const rules::Alert* x, const rules::Alert* y) { return x->labels < y->labels; });
  return out;
}

std::string RuleJson(const rules::Group& g, size_t i) {
  const rules::RuleSpec& spec = g.rule(i);
  const std::string& err = g.rule_error(i);
  const char* health = g.last_evaluation() == 0 ? "unknown" : err.empty() ? "ok" : "err";
  std::string query = spec.expr ? promql::String(*spec.expr) : spec.expr_text;
  std::string tail = StrCat(",\"health\":\"", health, "\"");
  if (!err.empty()) tail += StrCat(",\"lastError\":", JsonString(err));
  tail += StrCat(",\"evaluationTime\":", Seconds(g.rule_duration(i)),
                 ",\"lastEvaluation\":", JsonTime(g.last_evaluation()));
  if (const rules::AlertingRule* a = g.alerting(i)) {
    rules::AlertState state = rules::AlertState::kInactive;
    for (const auto& [fp, alert] : a->active()) state = std::max(state, alert.state);
    std::string alerts = "[";
    for (const rules::Alert* x : ActiveAlerts(*a)) {
      if (alerts.size() > 1) alerts += ',';
      alerts += AlertJson(*x);
    }
    alerts += ']';
    return StrCat("{\"state\":\"", rules::AlertStateName(state),
                  "\",\"name\":", JsonString(spec.name()), ",\"query\":", JsonString(query),
                  ",\"duration\":", Seconds(spec.for_duration),
                  ",\"keepFiringFor\":", Seconds(spec.keep_firing_for),
                  ",\"labels\":", JsonLabels(spec.labels),
                  ",\"annotations\":", AnnotationsJson(spec.annotations), ",\"alerts\":", alerts,
                  tail, ",\"type\":\"alerting\"}");
  }
  std::string labels_json;
  if (!spec.labels.empty()) labels_json = StrCat(",\"labels\":", JsonLabels(spec.labels));
  return StrCat("{\"name\":", JsonString(spec.name()), ",\"query\":", JsonString(query),
                labels_json, tail, ",\"type\":\"recording\"}");
}

// Prometheus lists groups by file, then name (rules.Manager.RuleGroups), with the file
// path cleaned as Go's filepath.Join cleans it ("./rules.yml" is "rules.yml").
std::vector<const rules::Group*> SortedGroups(const Evaluator& core) {
  std::vector<const rules::Group*> out;
  for (const auto& g : core.groups()) out.push_back(g.get());
  std::stable_sort(out.begin(), out.end(), [](const rules::Group* a, const rules::Group* b) {
    return std::tie(a->file(), a->name()) < std::tie(b->file(), b->name());
  });
  return out;
}

std::string CleanPath(const std::string& p) {
  std::string out = std::filesystem::path(p).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "." : out;
}

}  // namespace

ApiError ClassifyError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return {"bad_data", 400};
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
      return {"execution", 422};
    case absl::StatusCode::kDeadlineExceeded:
      return {"timeout", 503};
    case absl::StatusCode::kUnavailable:
      return {"unavailable", 503};
    default:
      return {"internal", 500};
  }
}

std::string ApiV1::RulesJson(const Evaluator& core, const std::string& type) {
  std::string groups = "[";
  for (const rules::Group* g : SortedGroups(core)) {
    if (groups.size() > 1) groups += ',';
    std::string rules = "[";
    for (size_t i = 0; i < g->size(); ++i) {
      bool alerting = g->alerting(i) != nullptr;
      if ((type == "alert" && !alerting) || (type == "record" && alerting)) continue;
      if (rules.size() > 1) rules += ',';
      rules += RuleJson(*g, i);
    }
    rules += ']';
    groups +=
        StrCat("{\"name\":", JsonString(g->name()), ",\"file\":", JsonString(CleanPath(g->file())),
               ",\"rules\":", rules, ",\"interval\":", Seconds(g->interval()),
               ",\"limit\":", g->spec().limit, ",\"evaluationTime\":", Seconds(g->last_duration()),
               ",\"lastEvaluation\":", JsonTime(g->last_evaluation()), "}");
  }
  return StrCat("{\"groups\":", groups, "]}");
}

std::string ApiV1::AlertsJson(const Evaluator& core) {
  std::string alerts = "[";
  for (const rules::Group* g : SortedGroups(core)) {
    for (size_t i = 0; i < g->size(); ++i) {
      const rules::AlertingRule* a = g->alerting(i);
      if (a == nullptr) continue;
      for (const rules::Alert* x : ActiveAlerts(*a)) {
        if (alerts.size() > 1) alerts += ',';
        alerts += AlertJson(*x);
      }
    }
  }
  return StrCat("{\"alerts\":", alerts, "]}");
}

ApiV1::ApiV1(service::Runtime& rt, const Evaluator& core)
    : rt_(rt), core_(core), queries_(rt, core) {
  httplib::Server& http = rt.http();
  using Handler = std::function<absl::StatusOr<std::string>(const Form&)>;
  auto route = [&http](const std::string& path, bool post, Handler h) {
    auto serve = [h](const httplib::Request& req, httplib::Response& res) {
      Reply(res, h(Form(req)));
    };
    http.Get(path, serve);
    if (post) http.Post(path, serve);
  };

  route("/api/v1/query", true, [this](const Form& f) -> absl::StatusOr<std::string> {
    auto t = TimeParam(f, "time", queries_.Now());
    if (!t.ok()) return t.status();
    auto timeout = TimeoutParam(f);
    if (!timeout.ok()) return timeout.status();
    auto v = queries_.Instant(f.Get("query"), *t, *timeout);
    if (!v.ok()) {
      if (v.status().code() == absl::StatusCode::kInvalidArgument) {
        return InvalidParam(v.status(), "query");
      }
      return v.status();
    }
    return QueryDataJson(*v, *t);
  });

  route("/api/v1/query_range", true, [this](const Form& f) -> absl::StatusOr<std::string> {
    auto start = ParseApiTime(f.Get("start"));
    if (!start.ok()) return InvalidParam(start.status(), "start");
    auto end = ParseApiTime(f.Get("end"));
    if (!end.ok()) return InvalidParam(end.status(), "end");
    if (*end < *start) {
      return InvalidParam(absl::InvalidArgumentError("end timestamp must not be before start time"),
                          "end");
    }
    auto step = ParseApiDuration(f.Get("step"));
    if (!step.ok()) return InvalidParam(step.status(), "step");
    auto timeout = TimeoutParam(f);
    if (!timeout.ok()) return timeout.status();
    auto m = queries_.Range(f.Get("query"), *start, *end, *step, *timeout);
    if (!m.ok()) return m.status();
    return StrCat("{\"resultType\":\"matrix\",\"result\":", MatrixJson(*m), "}");
  });

  route("/api/v1/series", true, [this](const Form& f) -> absl::StatusOr<std::string> {
    std::vector<std::string> match = f.All("match[]");
    if (match.empty()) return absl::InvalidArgumentError("no match[] parameter provided");
    auto p = ReadSeriesParams(f, true);
    if (!p.ok()) return p.status();
    auto series = queries_.Series(p->selectors, p->start, p->end);
    if (!series.ok()) return series.status();
    std::string out = "[";
    for (const labels::Labels& l : *series) {
      if (out.size() > 1) out += ',';
      out += JsonLabels(l);
    }
    return out + "]";
  });

  route("/api/v1/labels", true, [this](const Form& f) -> absl::StatusOr<std::string> {
    auto p = ReadSeriesParams(f, false);
    if (!p.ok()) return p.status();
    auto names = queries_.LabelNames(p->selectors, p->start, p->end);
    if (!names.ok()) return names.status();
    return StringList(*names);
  });

  http.Get(R"(/api/v1/label/([^/]+)/values)", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
    Reply(res, [&]() -> absl::StatusOr<std::string> {
      const std::string name = req.matches[1];
      if (!labels::IsValidLabelName(name)) {
        return absl::InvalidArgumentError(StrCat("invalid label name: ", labels::GoQuote(name)));
      }
      auto p = ReadSeriesParams(Form(req), false);
      if (!p.ok()) return p.status();
      auto values = queries_.LabelValues(name, p->selectors, p->start, p->end);
      if (!values.ok()) return values.status();
      return StringList(*values);
    }());
  });

  route("/api/v1/rules", false, [this](const Form& f) -> absl::StatusOr<std::string> {
    std::string type = absl::AsciiStrToLower(f.Get("type"));
    if (!type.empty() && type != "alert" && type != "record") {
      return InvalidParam(
          absl::InvalidArgumentError(StrCat("not supported value ", labels::GoQuote(type))),
          "type");
    }
    auto r = rt_.tasks().Call([this, type] { return RulesJson(core_, type); }, 30s);
    if (!r) return absl::UnavailableError("evaluator loop busy");
    return std::move(*r);
  });

  route("/api/v1/alerts", false, [this](const Form&) -> absl::StatusOr<std::string> {
    auto r = rt_.tasks().Call([this] { return AlertsJson(core_); }, 30s);
    if (!r) return absl::UnavailableError("evaluator loop busy");
    return std::move(*r);
  });

  route("/api/v1/status/buildinfo", false, [](const Form&) -> absl::StatusOr<std::string> {
    return StrCat("{\"version\":", JsonString(VIGIL_VERSION),
                  ",\"revision\":\"\",\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\","
                  "\"goVersion\":\"\"}");
  });
}

}  // namespace vigil::evaluator
