// Runs Prometheus 2.42's own engine tests (promql/testdata/*.test, in the promqltest
// script format of promql/test.go) through lib/promql. The files live outside the project
// in ../shared/conformance/promql-2.42 (relative to the project root, the tests' working
// directory); the test skips when they are absent.
//
// Supported commands: `load <interval>` with expanding series notation (`_`, `_xN`,
// `stale`, `AxN`, `A+BxN`, `A-BxN`), `eval instant at <time> <expr>`, `eval_fail`,
// `eval_ordered`, `clear`. Expected values compare like Prometheus's almostEqual.
//
// Cases that do not pass yet are listed in lib/promql/testdata/known_failures.txt
// (`file:line<TAB>reason`); the test asserts that exactly those fail, so it fails both
// when a new case breaks and when a listed one starts passing.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/promql/engine.h"
#include "lib/promql/functions.h"
#include "lib/promql/parser.h"

namespace vigil::promql {
namespace {

namespace fs = std::filesystem;

constexpr char kCorpusDir[] = "../shared/conformance/promql-2.42";
constexpr char kKnownFailures[] = "lib/promql/testdata/known_failures.txt";

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return std::string(s.substr(b, e - b));
}

// Parses `name{a="b", ...}` at the start of `s`; returns the rest.
bool ParseMetric(std::string_view s, labels::Labels* out, std::string_view* rest,
                 std::string* err) {
  size_t i = 0;
  std::vector<labels::Label> ls;
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    *err = "metric names do not start with a digit";
    return false;
  }
  while (i < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == ':'))
    i++;
  if (i > 0) ls.push_back({"__name__", std::string(s.substr(0, i))});
  if (i < s.size() && s[i] == '{') {
    i++;
    while (true) {
      while (i < s.size() && (s[i] == ' ' || s[i] == ',')) i++;
      if (i >= s.size()) {
        *err = "unterminated label set";
        return false;
      }
      if (s[i] == '}') {
        i++;
        break;
      }
      size_t n = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) i++;
      std::string name(s.substr(n, i - n));
      while (i < s.size() && s[i] == ' ') i++;
      if (i >= s.size() || s[i] != '=') {
        *err = "expected = in label set";
        return false;
      }
      i++;
      while (i < s.size() && s[i] == ' ') i++;
      if (i >= s.size() || (s[i] != '"' && s[i] != '\'' && s[i] != '`')) {
        *err = "expected quoted label value";
        return false;
      }
      char q = s[i];
      size_t j = i + 1;
      while (j < s.size() && s[j] != q) {
        if (s[j] == '\\' && q != '`') j++;
        j++;
      }
      auto v = Unquote(s.substr(i, j - i + 1));
      if (!v.ok()) {
        *err = std::string(v.status().message());
        return false;
      }
      ls.push_back({name, *v});
      i = j + 1;
    }
  }
  if (ls.empty() && (i == 0)) {
    *err = "no metric";
    return false;
  }
  *out = labels::Labels(std::move(ls));
  *rest = s.substr(i);
  return true;
}

struct SeqValue {
  bool omitted = false;
  double v = 0;
};

bool ParseValues(std::string_view s, std::vector<SeqValue>* out, std::string* err) {
  std::istringstream in{std::string(s)};
  std::string tok;
  while (in >> tok) {
    if (tok == "_") {
      out->push_back({true, 0});
      continue;
    }
    if (tok.rfind("_x", 0) == 0) {
      int n = std::atoi(tok.c_str() + 2);
      for (int i = 0; i < n; i++) out->push_back({true, 0});
      continue;
    }
    if (tok == "stale") {
      out->push_back({false, codec::StaleNaN()});
      continue;
    }
    std::string base = tok;
    long times = -1;
    size_t x = tok.rfind('x');
    if (x != std::string::npos && x + 1 < tok.size() &&
        tok.find_first_not_of("0123456789", x + 1) == std::string::npos) {
      base = tok.substr(0, x);
      times = std::strtol(tok.c_str() + x + 1, nullptr, 10);
    }
    // Split A+B / A-B at a sign that is not leading and not an exponent sign.
    size_t split = std::string::npos;
    for (size_t i = 1; i < base.size(); i++) {
      if ((base[i] == '+' || base[i] == '-') && base[i - 1] != 'e' && base[i - 1] != 'E') {
        split = i;
        break;
      }
    }
    double a, b = 0;
    if (split != std::string::npos) {
      if (times < 0 || !ParseNumber(base.substr(0, split), &a) ||
          !ParseNumber(base.substr(split), &b)) {
        *err = StrCat("bad series value ", tok);
        return false;
      }
    } else if (!ParseNumber(base, &a)) {
      *err = StrCat("bad series value ", tok);
      return false;
    }
    if (times < 0) {
      out->push_back({false, a});
      continue;
    }
    for (long i = 0; i <= times; i++) {
      out->push_back({false, a});
      a += b;
    }
  }
  return true;
}

// VIGIL_PROMQL_EXACT=1 compares bit for bit (NaN equals NaN) instead of like Prometheus.
bool g_exact = false;
bool ExactMode() { return g_exact || getenv("VIGIL_PROMQL_EXACT") != nullptr; }

bool AlmostEqual(double a, double b) {
  if (ExactMode()) return (std::isnan(a) && std::isnan(b)) || a == b;
  constexpr double kEpsilon = 0.000001;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

// Functions whose result depends on the evaluation time itself (promql.AtModifierUnsafeFunctions).
bool AtModifierUnsafe(const Expr& e) {
  if (e.kind == Expr::Kind::kCall) {
    static const std::set<std::string_view> kUnsafe = {
        "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
        "month",         "year",         "predict_linear", "time",        "timestamp"};
    if (kUnsafe.count(e.func->name)) return true;
    for (const auto& a : e.args) {
      if (AtModifierUnsafe(*a)) return true;
    }
  }
  for (const Expr* c : {e.lhs.get(), e.rhs.get()}) {
    if (c != nullptr && AtModifierUnsafe(*c)) return true;
  }
  return false;
}

// Sets `@ t` on every selector and subquery that has none, not descending into subqueries.
void SetAt(Expr& e, int64_t t) {
  switch (e.kind) {
    case Expr::Kind::kVectorSelector:
    case Expr::Kind::kSubquery:
      if (e.at == AtKind::kNone) {
        e.at = AtKind::kTimestamp;
        e.at_ms = t;
      }
      return;
    case Expr::Kind::kMatrixSelector:
      SetAt(*e.lhs, t);
      return;
    default:
      break;
  }
  for (auto& a : e.args) SetAt(*a, t);
  if (e.lhs) SetAt(*e.lhs, t);
  if (e.rhs) SetAt(*e.rhs, t);
}

std::vector<std::pair<std::string, int64_t>> AtModifierVariants(const std::string& text,
                                                                int64_t ts) {
  auto e = ParseExpr(text);
  if (!e.ok() || AtModifierUnsafe(**e)) return {};
  SetAt(**e, ts);
  std::string with_at = String(**e);
  std::vector<int64_t> times = {-10 * ts, 0, ts / 5, ts, 10 * ts};
  if (ts == 0) times = {-1000, 1000, 1'000'000};
  std::vector<std::pair<std::string, int64_t>> out;
  for (int64_t t : times) out.emplace_back(with_at, t);
  return out;
}

struct CaseResult {
  std::string id;     // file:line
  std::string error;  // empty when passed
};

class ScriptRunner {
 public:
  explicit ScriptRunner(std::string file) : file_(std::move(file)) {}

  std::vector<CaseResult> Run(const std::vector<std::string>& raw) {
    std::vector<std::string> lines;
    for (const auto& l : raw) {
      std::string t = Trim(l);
      if (!t.empty() && t[0] == '#') t.clear();
      lines.push_back(t);
    }
    std::vector<CaseResult> results;
    head_ = std::make_unique<tsdb::Head>();
    for (size_t i = 0; i < lines.size(); i++) {
      const std::string& l = lines[i];
      if (l.empty()) continue;
      std::string id = StrCat(file_, ":", i + 1);
      if (l == "clear") {
        head_ = std::make_unique<tsdb::Head>();
        continue;
      }
      if (l.rfind("load ", 0) == 0) {
        auto interval = ParseDurationMs(Trim(l.substr(5)));
        std::string err;
        if (!interval.ok()) err = "bad load interval";
        // Like promql/test.go's loadCmd: a later definition of a series replaces it.
        std::map<labels::Labels, std::vector<SeqValue>> defs;
        while (i + 1 < lines.size() && !lines[i + 1].empty()) {
          i++;
          if (err.empty()) err = Load(lines[i], &defs);
        }
        for (const auto& [metric, vals] : defs) {
          for (size_t k = 0; err.empty() && k < vals.size(); k++) {
            if (!vals[k].omitted)
              head_->Append(metric, static_cast<int64_t>(k) * *interval, vals[k].v);
          }
        }
        if (!err.empty()) results.push_back({id, StrCat("load: ", err)});
        continue;
      }
      if (l.rfind("eval", 0) == 0) {
        std::vector<std::string> expected;
        while (i + 1 < lines.size() && !lines[i + 1].empty()) expected.push_back(lines[++i]);
        results.push_back({id, Eval(l, expected)});
        continue;
      }
      results.push_back({id, StrCat("unknown command: ", l)});
    }
    return results;
  }

 private:
  std::string Load(const std::string& line, std::map<labels::Labels, std::vector<SeqValue>>* defs) {
    labels::Labels metric;
    std::string_view rest;
    std::string err;
    if (!ParseMetric(line, &metric, &rest, &err)) return err;
    std::vector<SeqValue> vals;
    if (!ParseValues(rest, &vals, &err)) return err;
    (*defs)[metric] = std::move(vals);
    return "";
  }

  std::string Eval(const std::string& line, const std::vector<std::string>& expected) {
    std::istringstream in(line);
    std::string cmd, instant, at, time;
    in >> cmd >> instant >> at >> time;
    std::string expr_text;
    std::getline(in, expr_text);
    expr_text = Trim(expr_text);
    if (instant != "instant" || at != "at") return StrCat("unsupported eval form: ", line);
    auto ts = ParseDurationMs(time);
    if (!ts.ok()) return StrCat("bad eval time: ", time);
    bool fail = cmd == "eval_fail";
    bool ordered = cmd == "eval_ordered";
    auto expr = ParseExpr(expr_text);
    if (!expr.ok()) {
      return fail ? "" : StrCat("parse error: ", expr.status().message());
    }
    HeadQueryable q(*head_);
    if (fail) {
      auto res = Query(**expr, q, *ts);
      return res.ok() ? "expected error evaluating query but got none" : "";
    }

    // Expected: series lines, or a bare number for a scalar.
    struct Exp {
      labels::Labels metric;
      double v;
      size_t pos;
    };
    std::map<labels::Labels, Exp> exp;
    std::optional<double> exp_scalar;
    for (size_t k = 0; k < expected.size(); k++) {
      labels::Labels m;
      std::string_view rest;
      std::string err;
      std::vector<SeqValue> vals;
      if (ParseMetric(expected[k], &m, &rest, &err) && ParseValues(rest, &vals, &err) &&
          !vals.empty()) {
        exp[m] = Exp{m, vals[0].v, k + 1};
        continue;
      }
      double v;
      if (ParseNumber(Trim(expected[k]), &v)) {
        exp_scalar = v;
        continue;
      }
      return StrCat("bad expected line: ", expected[k]);
    }
    auto compare = [&](const Value& res) -> std::string {
      switch (res.type) {
        case ValueType::kScalar:
          // promtool shows a scalar as a {} sample; accepted only for VIGIL_PROMQL_TEST_DIR
          // corpora.
          if (!exp_scalar && (g_exact || getenv("VIGIL_PROMQL_TEST_DIR") != nullptr) &&
              exp.size() == 1 && exp.begin()->first.empty()) {
            exp_scalar = exp.begin()->second.v;
          }
          if (!exp_scalar) return "got a scalar, expected series";
          if (!AlmostEqual(*exp_scalar, res.scalar)) {
            return StrCat("expected scalar ", FormatFloatG(*exp_scalar), " but got ",
                          FormatFloatG(res.scalar));
          }
          return "";
        case ValueType::kVector: {
          std::set<labels::Labels> seen;
          for (size_t pos = 0; pos < res.vector.size(); pos++) {
            const Sample& s = res.vector[pos];
            auto it = exp.find(s.metric);
            if (it == exp.end())
              return StrCat("unexpected metric ", s.metric.ToString(), " in result");
            if (ordered && it->second.pos != pos + 1) {
              return StrCat("expected metric ", s.metric.ToString(), " at position ",
                            it->second.pos, " but was at ", pos + 1);
            }
            if (!AlmostEqual(it->second.v, s.value)) {
              return StrCat("expected ", FormatFloatG(it->second.v), " for ", s.metric.ToString(),
                            " but got ", FormatFloatG(s.value));
            }
            seen.insert(s.metric);
          }
          for (const auto& [m, e] : exp) {
            if (!seen.count(m)) return StrCat("expected metric ", m.ToString(), " not found");
          }
          return "";
        }
        case ValueType::kMatrix:
          return "received range result on instant evaluation";
        default:
          return "received a string result";
      }
    };

    // Like promql/test.go: the instant query, then the same query in range mode (checked
    // at the middle step), then the query with `@ <eval time>` set on every selector and
    // subquery outside subqueries (printed with String() and parsed again) at other
    // evaluation times, which must give the same result.
    std::vector<std::pair<std::string, int64_t>> runs = {{expr_text, *ts}};
    for (auto& variant : AtModifierVariants(expr_text, *ts)) runs.push_back(variant);
    variant_runs_ += runs.size() - 1;
    for (const auto& [text, t] : runs) {
      std::string label = text == expr_text && t == *ts ? "" : StrCat("[", text, " at ", t, "ms] ");
      auto e = ParseExpr(text);
      if (!e.ok()) return StrCat(label, "String() output does not parse: ", e.status().message());
      auto res = Query(**e, q, t);
      if (!res.ok()) return StrCat(label, "error evaluating query: ", res.status().message());
      if (std::string err = compare(*res); !err.empty()) return StrCat(label, err);
      if (ordered || (res->type != ValueType::kScalar && res->type != ValueType::kVector)) continue;
      auto range = QueryRange(**e, q, t - 60'000, t + 60'000, 60'000);
      if (!range.ok()) return StrCat(label, "error in range mode: ", range.status().message());
      Value mid;
      mid.type = ValueType::kVector;
      for (const Series& series : *range) {
        for (const tsdb::Point& p : series.points) {
          if (p.t == t) mid.vector.push_back(Sample{series.metric, p.v, t});
        }
      }
      if (res->type == ValueType::kScalar) {
        mid.type = ValueType::kScalar;
        mid.scalar = mid.vector.empty() ? std::nan("") : mid.vector[0].value;
      }
      if (std::string err = compare(mid); !err.empty()) return StrCat(label, "range mode: ", err);
    }
    return "";
  }

  std::string file_;
  std::unique_ptr<tsdb::Head> head_;

 public:
  size_t variant_runs_ = 0;
};

// Runs every *.test file of `dir`; asserts that exactly the cases in `known` fail. Returns
// how many cases ran.
int RunCorpus(const std::string& dir, const std::map<std::string, std::string>& known) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_FALSE(files.empty()) << "no .test files in " << dir;
  int total = 0, passed = 0;
  size_t at_variants = 0;
  std::set<std::string> failed;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
    ScriptRunner runner(f.filename().string());
    std::vector<CaseResult> results = runner.Run(lines);
    at_variants += runner.variant_runs_;
    for (const CaseResult& r : results) {
      total++;
      if (r.error.empty()) {
        passed++;
        printf("[conformance] PASS %s\n", r.id.c_str());
      } else {
        failed.insert(r.id);
        printf("[conformance] FAIL %s: %s\n", r.id.c_str(), r.error.c_str());
        EXPECT_TRUE(known.count(r.id)) << "new failure " << r.id << ": " << r.error;
      }
    }
  }
  for (const auto& [id, reason] : known) {
    EXPECT_TRUE(failed.count(id)) << id << " now passes (or no longer exists): remove it from "
                                  << kKnownFailures;
  }
  printf(
      "[conformance] %s: %d/%d cases pass (%zu known failures); %zu extra @-modifier evaluations\n",
      dir.c_str(), passed, total, failed.size(), at_variants);
  return total;
}

// VIGIL_PROMQL_TEST_DIR=<dir> runs another folder of promqltest scripts instead; then
// every case must pass.
TEST(PromqlConformanceTest, Prometheus242EngineTests) {
  const char* override_dir = getenv("VIGIL_PROMQL_TEST_DIR");
  const std::string dir = override_dir != nullptr ? override_dir : kCorpusDir;
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is absent";
  std::map<std::string, std::string> known;  // file:line -> reason
  if (override_dir == nullptr) {
    std::ifstream in(kKnownFailures);
    ASSERT_TRUE(in.good()) << "cannot read " << kKnownFailures << " (run from the project root)";
    std::string l;
    while (std::getline(in, l)) {
      if (l.empty() || l[0] == '#') continue;
      size_t tab = l.find('\t');
      known[l.substr(0, tab)] = tab == std::string::npos ? "" : l.substr(tab + 1);
    }
  }
  const int cases = RunCorpus(dir, known);
  // Prometheus 2.42's engine tests hold 566 `eval` cases: none may go unread.
  if (override_dir == nullptr) EXPECT_EQ(cases, 566);
}

// lib/promql/testdata/promtool_oracle/*.test: expectations printed by Debian's promtool
// 2.42 (gen_promtool_oracle.py), compared bit for bit (promtool shows scalars as {}).
// Answers that depend on series creation order in Prometheus itself are left out.
TEST(PromqlConformanceTest, PromtoolOracleBitForBit) {
  g_exact = true;
  RunCorpus("lib/promql/testdata/promtool_oracle", {});
  g_exact = false;
}

}  // namespace
}  // namespace vigil::promql
