#include "services/evaluator/query_api.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "lib/base/format.h"
#include "lib/promql/parser.h"

namespace vigil::evaluator {

namespace {

using namespace std::chrono_literals;

// How long an API call waits for the loop thread before answering "unavailable".
constexpr auto kLoopTimeout = 30s;

// Prometheus's limit on points per series of a range query.
constexpr int64_t kMaxPointsPerSeries = 11000;

// promql reports every evaluation failure as InvalidArgument; the APIs call those
// "execution" errors (422), and keep InvalidArgument for what the client sent.
absl::Status AsExecution(const absl::Status& s) {
  std::string msg(s.message());
  if (msg.find("query processing would load too many samples") != std::string::npos) {
    return absl::ResourceExhaustedError(msg);
  }
  return absl::FailedPreconditionError(msg);
}

absl::Status LoopBusy() { return absl::UnavailableError("evaluator loop busy"); }
// Prometheus's ErrQueryTimeout text.
absl::Status TimedOut() {
  return absl::DeadlineExceededError("query timed out in query execution");
}

bool HasSampleIn(const promql::SeriesView& s, TimestampMs start, TimestampMs end) {
  auto it = std::lower_bound(s.points.begin(), s.points.end(), start,
                             [](const tsdb::Point& p, TimestampMs t) { return p.t < t; });
  return it != s.points.end() && it->t <= end;
}

// Visits every series matching any selector (every series when there are none) with a
// sample in [start, end]. Loop thread only. (Callers capture by value: a task that
// timed out still runs later.)
template <typename Fn>
void ForEachSeries(const tsdb::Head& head,
                   const std::vector<std::vector<labels::Matcher>>& selectors, TimestampMs start,
                   TimestampMs end, Fn fn) {
  promql::HeadQueryable q(head);
  auto visit = [&](const std::vector<labels::Matcher>& m) {
    for (const promql::SeriesView& s : q.Select(m)) {
      if (HasSampleIn(s, start, end)) fn(*s.labels);
    }
  };
  if (selectors.empty()) visit({});
  for (const auto& m : selectors) visit(m);
}

}  // namespace

absl::StatusOr<std::vector<labels::Matcher>> ParseMetricSelector(std::string_view s) {
  auto expr = promql::ParseExpr(s);
  if (!expr.ok()) {
    // Prometheus parses selectors with a grammar of their own that accepts `{}`; the API
    // then rejects it with this text.
    if (std::string(expr.status().message()).find("must contain at least one non-empty") !=
        std::string::npos) {
      return absl::InvalidArgumentError("match[] must contain at least one non-empty matcher");
    }
    return expr.status();
  }
  if ((*expr)->kind != promql::Expr::Kind::kVectorSelector || (*expr)->offset_ms != 0 ||
      (*expr)->at != promql::AtKind::kNone) {
    return absl::InvalidArgumentError(
        StrCat("1:1: parse error: expected a series selector, got ", labels::GoQuote(s)));
  }
  return (*expr)->selector.matchers;
}

absl::StatusOr<promql::Value> QueryApi::Instant(std::string_view query, TimestampMs t,
                                                std::chrono::milliseconds timeout) const {
  auto expr = promql::ParseExpr(query);
  if (!expr.ok()) return expr.status();
  auto r =
      rt_.tasks().Call([this, e = std::shared_ptr<promql::Expr>(std::move(*expr)),
                        t] { return promql::Query(*e, promql::HeadQueryable(core_.head()), t); },
                       timeout);
  if (!r) return TimedOut();
  if (!r->ok()) return AsExecution(r->status());
  promql::Value v = std::move(**r);
  // Prometheus leaves series without samples in the range out of a range selector's result.
  std::erase_if(v.matrix, [](const promql::Series& s) { return s.points.empty(); });
  return v;
}

absl::StatusOr<promql::Matrix> QueryApi::Range(std::string_view query, TimestampMs start,
                                               TimestampMs end, int64_t step,
                                               std::chrono::milliseconds timeout) const {
  if (end < start) {
    return absl::InvalidArgumentError(
        "invalid parameter \"end\": end timestamp must not be before start time");
  }
  if (step <= 0) {
    return absl::InvalidArgumentError(
        "invalid parameter \"step\": zero or negative query resolution step widths are not "
        "accepted. Try a positive integer");
  }
  if ((end - start) / step > kMaxPointsPerSeries) {
    return absl::InvalidArgumentError(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
        "query resolution (?step=XX)");
  }
  auto expr = promql::ParseExpr(query);
  if (!expr.ok()) return expr.status();
  promql::ValueType ty = (*expr)->type();
  if (ty != promql::ValueType::kScalar && ty != promql::ValueType::kVector) {
    // Prometheus's NewRangeQuery rejects these before running anything.
    return absl::InvalidArgumentError(
        StrCat("invalid expression type \"", promql::ValueTypeName(ty),
               "\" for range query, must be Scalar or instant Vector"));
  }
  auto r = rt_.tasks().Call(
      [this, e = std::shared_ptr<promql::Expr>(std::move(*expr)), start, end, step] {
        return promql::QueryRange(*e, promql::HeadQueryable(core_.head()), start, end, step);
      },
      timeout);
  if (!r) return TimedOut();
  if (!r->ok()) return AsExecution(r->status());
  return std::move(**r);
}

absl::StatusOr<std::vector<labels::Labels>> QueryApi::Series(
    const std::vector<std::vector<labels::Matcher>>& selectors, TimestampMs start,
    TimestampMs end) const {
  auto r = rt_.tasks().Call(
      [this, selectors, start, end] {
        std::set<labels::Labels> found;
        ForEachSeries(core_.head(), selectors, start, end,
                      [&](const labels::Labels& l) { found.insert(l); });
        return std::vector<labels::Labels>(found.begin(), found.end());
      },
      kLoopTimeout);
  if (!r) return LoopBusy();
  return std::move(*r);
}

absl::StatusOr<std::vector<std::string>> QueryApi::LabelNames(
    const std::vector<std::vector<labels::Matcher>>& selectors, TimestampMs start,
    TimestampMs end) const {
  auto r = rt_.tasks().Call(
      [this, selectors, start, end] {
        std::set<std::string> names;
        ForEachSeries(core_.head(), selectors, start, end, [&](const labels::Labels& l) {
          for (const labels::LabelView& x : l) names.emplace(x.name);
        });
        return std::vector<std::string>(names.begin(), names.end());
      },
      kLoopTimeout);
  if (!r) return LoopBusy();
  return std::move(*r);
}

absl::StatusOr<std::vector<std::string>> QueryApi::LabelValues(
    const std::string& name, const std::vector<std::vector<labels::Matcher>>& selectors,
    TimestampMs start, TimestampMs end) const {
  auto r = rt_.tasks().Call(
      [this, name, selectors, start, end] {
        std::set<std::string> values;
        ForEachSeries(core_.head(), selectors, start, end, [&](const labels::Labels& l) {
          if (l.Has(name)) values.insert(std::string(l.Get(name)));
        });
        return std::vector<std::string>(values.begin(), values.end());
      },
      kLoopTimeout);
  if (!r) return LoopBusy();
  return std::move(*r);
}

}  // namespace vigil::evaluator
