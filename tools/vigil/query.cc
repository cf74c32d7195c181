#include "tools/vigil/query.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/format.h"
#include "lib/config/duration.h"
#include "lib/labels/labels.h"
#include "lib/promql/ast.h"
#include "tools/vigil/probe.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::cli {
namespace {

// Go's %v of model.Time: seconds, shortest fraction.
std::string Seconds(int64_t ms) {
  return ms == 0 ? "0" : promql::FormatFloatF(static_cast<double>(ms) / 1000);
}

// model.Metric.String(): name{a="x", b="y"} with the pairs sorted as strings; {} if empty.
std::string MetricString(const google::protobuf::RepeatedPtrField<v1::Label>& ls) {
  std::string name;
  std::vector<std::string> pairs;
  for (const v1::Label& l : ls) {
    if (l.name() == "__name__") {
      name = l.value();
    } else {
      pairs.push_back(StrCat(l.name(), "=", labels::GoQuote(l.value())));
    }
  }
  if (pairs.empty()) return name.empty() ? "{}" : name;
  std::sort(pairs.begin(), pairs.end());
  std::string out = name + "{";
  for (size_t i = 0; i < pairs.size(); ++i) out += (i > 0 ? ", " : "") + pairs[i];
  return out + "}";
}

std::string PointText(const v1::QueryPoint& p) {
  return StrCat(promql::FormatFloatF(p.value()), " @[", Seconds(p.t_ms()), "]");
}

std::string MatrixText(const google::protobuf::RepeatedPtrField<v1::QuerySeries>& series) {
  std::string out;
  for (const v1::QuerySeries& s : series) {
    if (!out.empty()) out += "\n";
    out += MetricString(s.labels()) + " =>";
    for (const v1::QueryPoint& p : s.points()) {
      out += '\n';
      out += PointText(p);
    }
  }
  return out + "\n";
}

nlohmann::json MetricJson(const v1::QuerySeries& s) {
  nlohmann::json m = nlohmann::json::object();
  for (const v1::Label& l : s.labels()) m[l.name()] = l.value();
  return m;
}

nlohmann::json PointJson(const v1::QueryPoint& p) {
  // model.Time marshals as a bare number, model.SampleValue as a string.
  return nlohmann::json::array(
      {nlohmann::json::parse(Seconds(p.t_ms())), promql::FormatFloatF(p.value())});
}

std::string MatrixJsonText(const google::protobuf::RepeatedPtrField<v1::QuerySeries>& series) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::QuerySeries& s : series) {
    nlohmann::json values = nlohmann::json::array();
    for (const v1::QueryPoint& p : s.points()) values.push_back(PointJson(p));
    out.push_back({{"metric", MetricJson(s)}, {"values", values}});
  }
  return out.dump() + "\n";
}

// Prometheus's API error type for a gRPC code from the evaluator.
const char* ErrorType(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "bad_data";
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "execution";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "timeout";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    default:
      return "internal";
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "query error: %s\n", message.c_str());
  return 1;
}

std::unique_ptr<v1::Evaluator::Stub> Connect(const QueryOptions& o) {
  return v1::Evaluator::NewStub(
      grpc::CreateChannel(DialAddress(o.evaluator), grpc::InsecureChannelCredentials()));
}

void AddCommon(CLI::App* cmd, QueryOptions* o) {
  cmd->add_option("expr", o->expr, "PromQL expression")->required();
  cmd->add_option("--evaluator", o->evaluator, "the evaluator's gRPC address")
      ->capture_default_str();
  cmd->add_option("--timeout", o->timeout, "give up after this long")->capture_default_str();
  cmd->add_option("--output,-o", o->output, "promql (promtool's text) or json")
      ->check(CLI::IsMember({"promql", "json"}))
      ->capture_default_str();
}

}  // namespace

absl::StatusOr<TimestampMs> ParseCliTime(const std::string& s) {
  char* end = nullptr;
  double f = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(f)) {
    return static_cast<TimestampMs>(std::llround(f * 1000));
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::ToUnixMillis(t);
  return absl::InvalidArgumentError(
      StrCat("cannot parse ", labels::GoQuote(s), " to a valid timestamp"));
}

std::string FormatQueryText(const v1::QueryResponse& r) {
  const std::string& type = r.result_type();
  if (type == "scalar")
    return StrCat("scalar: ", promql::FormatFloatF(r.scalar()), " @[", Seconds(r.time_ms()), "]\n");
  if (type == "string") return StrCat(r.string_value(), " @[", Seconds(r.time_ms()), "]\n");
  if (type == "matrix") return MatrixText(r.series());
  std::string out;
  for (const v1::QuerySeries& s : r.series()) {
    if (!out.empty()) out += "\n";
    out += MetricString(s.labels()) + " => " + (s.points_size() > 0 ? PointText(s.points(0)) : "");
  }
  return out + "\n";
}

std::string FormatQueryJson(const v1::QueryResponse& r) {
  const std::string& type = r.result_type();
  nlohmann::json t = nlohmann::json::parse(Seconds(r.time_ms()));
  if (type == "scalar") {
    return nlohmann::json::array({t, promql::FormatFloatF(r.scalar())}).dump() + "\n";
  }
  if (type == "string") return nlohmann::json::array({t, r.string_value()}).dump() + "\n";
  if (type == "matrix") return MatrixJsonText(r.series());
  nlohmann::json out = nlohmann::json::array();
  for (const v1::QuerySeries& s : r.series()) {
    nlohmann::json e = {{"metric", MetricJson(s)}};
    if (s.points_size() > 0) e["value"] = PointJson(s.points(0));
    out.push_back(e);
  }
  return out.dump() + "\n";
}

std::string FormatRangeText(const v1::QueryRangeResponse& r) { return MatrixText(r.series()); }
std::string FormatRangeJson(const v1::QueryRangeResponse& r) { return MatrixJsonText(r.series()); }

CLI::App* AddQueryCommand(CLI::App& app, QueryOptions* o) {
  CLI::App* cmd = app.add_subcommand("query", "Run an instant query on the evaluator");
  AddCommon(cmd, o);
  cmd->add_option("--time", o->time, "evaluation time (unix seconds or RFC3339); default now");
  return cmd;
}

CLI::App* AddQueryRangeCommand(CLI::App& app, QueryOptions* o) {
  CLI::App* cmd = app.add_subcommand("query-range", "Run a range query on the evaluator");
  AddCommon(cmd, o);
  cmd->add_option("--start", o->start, "start (unix seconds or RFC3339); default end - 5m");
  cmd->add_option("--end", o->end, "end (unix seconds or RFC3339); default now");
  cmd->add_option("--step", o->step, "resolution, e.g. 15s; default range/250, at least 1s");
  return cmd;
}

int RunQuery(const QueryOptions& o) {
  auto timeout = config::ParseDuration(o.timeout);
  if (!timeout.ok()) return Fail(StrCat("--timeout: ", ToStd(timeout.status().message())));
  v1::QueryRequest req;
  req.set_query(o.expr);
  if (!o.time.empty()) {
    auto t = ParseCliTime(o.time);
    if (!t.ok()) return Fail(StrCat("--time: ", ToStd(t.status().message())));
    req.set_time_ms(*t);
  } else {
    req.set_time_ms(absl::ToUnixMillis(absl::Now()));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
  v1::QueryResponse resp;
  grpc::Status s = Connect(o)->Query(&ctx, req, &resp);
  if (!s.ok()) return Fail(StrCat(ErrorType(s.error_code()), ": ", s.error_message()));
  std::fputs((o.output == "json" ? FormatQueryJson(resp) : FormatQueryText(resp)).c_str(), stdout);
  return 0;
}

int RunQueryRange(const QueryOptions& o) {
  auto timeout = config::ParseDuration(o.timeout);
  if (!timeout.ok()) return Fail(StrCat("--timeout: ", ToStd(timeout.status().message())));
  TimestampMs end = absl::ToUnixMillis(absl::Now());
  if (!o.end.empty()) {
    auto t = ParseCliTime(o.end);
    if (!t.ok()) return Fail(StrCat("--end: ", ToStd(t.status().message())));
    end = *t;
  }
  TimestampMs start = end - 5 * 60 * 1000;
  if (!o.start.empty()) {
    auto t = ParseCliTime(o.start);
    if (!t.ok()) return Fail(StrCat("--start: ", ToStd(t.status().message())));
    start = *t;
  }
  // promtool: max(floor(range / 250s), 1) seconds.
  int64_t step = std::max<int64_t>((end - start) / 1000 / 250, 1) * 1000;
  if (!o.step.empty()) {
    auto d = config::ParseDuration(o.step);
    if (!d.ok()) return Fail(StrCat("--step: ", ToStd(d.status().message())));
    step = absl::ToInt64Milliseconds(*d);
  }
  v1::QueryRangeRequest req;
  req.set_query(o.expr);
  req.set_start_ms(start);
  req.set_end_ms(end);
  req.set_step_ms(step);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
  v1::QueryRangeResponse resp;
  grpc::Status s = Connect(o)->QueryRange(&ctx, req, &resp);
  if (!s.ok()) return Fail(StrCat(ErrorType(s.error_code()), ": ", s.error_message()));
  std::fputs((o.output == "json" ? FormatRangeJson(resp) : FormatRangeText(resp)).c_str(), stdout);
  return 0;
}

}  // namespace vigil::cli
