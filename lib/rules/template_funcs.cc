#include "lib/rules/template_funcs.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "lib/base/format.h"
#include "lib/promql/parser.h"
#include "lib/relabel/relabel.h"
#include "lib/rules/template_humanize.h"

namespace vigil::rules::tmpl {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;
using Fn = absl::StatusOr<Value> (*)(const ExecEnv&, Args&);

absl::Status CallError(std::string_view msg) { return absl::UnknownError(ToAbsl(msg)); }
absl::Status CheckError(std::string_view msg) { return absl::InvalidArgumentError(ToAbsl(msg)); }

// Go's validateType for a typed parameter.
absl::Status Want(const Value& v, K kind) {
  if (v.kind == kind) return absl::OkStatus();
  Value probe;
  probe.kind = kind;
  if (v.kind == K::kInvalid) {
    if (kind == K::kSample || kind == K::kVector) return absl::OkStatus();  // nil pointer/slice
    return CheckError(StrCat("invalid value; expected ", TypeName(probe)));
  }
  return CheckError(StrCat("wrong type for value; expected ", TypeName(probe), "; got ", TypeName(v)));
}

// Prometheus's convertToFloat.
absl::StatusOr<double> ToFloat(const Value& v) {
  switch (v.kind) {
    case K::kFloat: return v.f;
    case K::kInt: return static_cast<double>(v.i);
    case K::kString: {
      double d = 0;
      if (!promql::ParseNumber(v.s, &d)) {
        return CallError(StrCat("strconv.ParseFloat: parsing ", labels::GoQuote(v.s), ": invalid syntax"));
      }
      return d;
    }
    default: return CallError(StrCat("can't convert ", TypeName(v), " to float"));
  }
}

// Go's basicKind classes for comparisons.
enum class Basic { kBool, kInt, kFloat, kString, kOther };
Basic BasicOf(const Value& v) {
  switch (v.kind) {
    case K::kBool: return Basic::kBool;
    case K::kInt: return Basic::kInt;
    case K::kFloat: return Basic::kFloat;
    case K::kString: return Basic::kString;
    default: return Basic::kOther;
  }
}

// Go 1.19's eq for two values.
absl::StatusOr<bool> Eq(const Value& a, const Value& b) {
  Basic ka = BasicOf(a), kb = BasicOf(b);
  if (ka != kb) {
    if (a.kind != K::kInvalid && b.kind != K::kInvalid) {
      return CallError("incompatible types for comparison");
    }
    return false;
  }
  switch (ka) {
    case Basic::kBool: return a.b == b.b;
    case Basic::kInt: return a.i == b.i;
    case Basic::kFloat: return a.f == b.f;
    case Basic::kString: return a.s == b.s;
    case Basic::kOther:
      if (a.kind != b.kind) return CallError("incompatible types for comparison");
      if (a.kind == K::kInvalid) return true;
      if (a.kind == K::kSample) return a.sample == b.sample;
      return CallError(StrCat("non-comparable type ", FormatValue(b), ": ", TypeName(b)));
  }
  return false;
}

absl::StatusOr<bool> Lt(const Value& a, const Value& b) {
  Basic ka = BasicOf(a), kb = BasicOf(b);
  if (ka == Basic::kOther || ka == Basic::kBool || kb == Basic::kOther || kb == Basic::kBool) {
    return CallError("invalid type for comparison");
  }
  if (ka != kb) return CallError("incompatible types for comparison");
  switch (ka) {
    case Basic::kInt: return a.i < b.i;
    case Basic::kFloat: return a.f < b.f;
    default: return a.s < b.s;
  }
}

// Go's le, gt, ge and ne in terms of lt and eq.
absl::StatusOr<bool> Le(const Value& a, const Value& b) {
  auto lt = Lt(a, b);
  if (!lt.ok() || *lt) return lt;
  return Eq(a, b);
}
absl::StatusOr<bool> Gt(const Value& a, const Value& b) {
  auto le = Le(a, b);
  if (!le.ok()) return le;
  return !*le;
}
absl::StatusOr<bool> Ge(const Value& a, const Value& b) {
  auto lt = Lt(a, b);
  if (!lt.ok()) return lt;
  return !*lt;
}
absl::StatusOr<bool> Ne(const Value& a, const Value& b) {
  auto eq = Eq(a, b);
  if (!eq.ok()) return eq;
  return !*eq;
}

template <absl::StatusOr<bool> (*F)(const Value&, const Value&)>
absl::StatusOr<Value> Compare(const ExecEnv&, Args& a) {
  absl::StatusOr<bool> r = F(a[0], a[1]);
  if (!r.ok()) return r.status();
  return Value::Bool(*r);
}

std::string HumanizePercentage(double v) { return GoSprintf("%.4g%%", {Value::Float(v * 100)}); }

// The humanize family: a number (or a string holding one) to text.
template <std::string (*F)(double)>
absl::StatusOr<Value> FloatToString(const ExecEnv&, Args& a) {
  absl::StatusOr<double> f = ToFloat(a[0]);
  if (!f.ok()) return f.status();
  return Value::String(F(*f));
}

absl::Status Arity(std::string_view name, const Args& a, size_t min, size_t max) {
  if (a.size() >= min && a.size() <= max) return absl::OkStatus();
  if (max == SIZE_MAX) {
    return CheckError(StrCat("wrong number of args for ", name, ": want at least ", min, " got ", a.size()));
  }
  return CheckError(StrCat("wrong number of args for ", name, ": want ", min, " got ", a.size()));
}

// net/url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// strings.Title: upper-cases the first letter of each word.
std::string Title(const std::string& s) {
  std::string out;
  unsigned char prev = ' ';
  for (unsigned char c : s) {
    bool sep = prev < 0x80 && !std::isalnum(prev) && prev != '_';
    out.push_back(sep && c < 0x80 ? static_cast<char>(std::toupper(c)) : static_cast<char>(c));
    prev = c;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<RE2>> Compile(const std::string& pattern) {
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, o);
  if (!re->ok()) {
    return CallError(StrCat("regexp: Compile(`", pattern, "`): error parsing regexp: ", re->error()));
  }
  return re;
}

// regexp.ReplaceAllString with Go's $1 / ${name} expansion.
absl::StatusOr<Value> ReReplaceAll(const ExecEnv&, Args& a) {
  auto re = Compile(a[0].s);
  if (!re.ok()) return re.status();
  const std::string& text = a[2].s;
  int n = (*re)->NumberOfCapturingGroups() + 1;
  std::vector<std::string> names(n);
  for (const auto& [name, idx] : (*re)->NamedCapturingGroups()) names[idx] = name;
  std::vector<re2::StringPiece> groups(n);
  std::string out;
  size_t pos = 0, copied = 0;
  while (pos <= text.size()) {
    if (!(*re)->Match(text, pos, text.size(), RE2::UNANCHORED, groups.data(), n)) break;
    size_t start = groups[0].data() - text.data(), end = start + groups[0].size();
    out.append(text, copied, start - copied);
    std::vector<std::string_view> g;
    for (const auto& x : groups) g.push_back(x.data() ? std::string_view(x.data(), x.size()) : std::string_view());
    out += relabel::Expand(a[1].s, g, names);
    copied = end;
    pos = end == start ? end + 1 : end;
  }
  if (copied < text.size()) out.append(text, copied);
  return Value::String(out);
}

std::string PathOf(const std::string& url) {
  size_t scheme = url.find("://");
  size_t from = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (from == std::string::npos) return "";
  size_t to = url.find_first_of("?#", from);
  return url.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

struct FuncSpec {
  size_t min, max;
  std::vector<K> params;  // typed parameters, checked in order (K::kInvalid: any)
  Fn fn;
};

#define FN []([[maybe_unused]] const ExecEnv& env, Args& a) -> absl::StatusOr<Value>

const std::map<std::string, FuncSpec, std::less<>>& Funcs() {
  static const auto* kFuncs = new std::map<std::string, FuncSpec, std::less<>>{
      // Go's builtins (and, or are evaluated by the executor).
      {"and", {1, SIZE_MAX, {}, nullptr}},
      {"or", {1, SIZE_MAX, {}, nullptr}},
      {"not", {1, 1, {}, FN { return Value::Bool(!IsTrue(a[0])); }}},
      {"len", {1, 1, {}, FN {
         switch (a[0].kind) {
           case K::kString: return Value::Int(static_cast<int64_t>(a[0].s.size()));
           case K::kLabels: return Value::Int(static_cast<int64_t>(a[0].labels->size()));
           case K::kVector: return Value::Int(static_cast<int64_t>(a[0].vector->size()));
           case K::kMap: return Value::Int(static_cast<int64_t>(a[0].map->size()));
           default: return CallError(StrCat("len of type ", TypeName(a[0])));
         }
       }}},
      {"index", {1, SIZE_MAX, {}, FN {
         Value v = a[0];
         for (size_t i = 1; i < a.size(); ++i) {
           const Value& k = a[i];
           if (v.kind == K::kLabels || v.kind == K::kMap) {
             if (k.kind != K::kString) {
               return CallError(StrCat("value has type ", TypeName(k), "; should be string"));
             }
             if (v.kind == K::kLabels) {
               v = Value::String(std::string(v.labels->Get(k.s)));
             } else {
               auto it = v.map->find(k.s);
               v = it == v.map->end() ? Value() : it->second;
             }
             continue;
           }
           if (v.kind == K::kVector || v.kind == K::kString) {
             if (k.kind != K::kInt) {
               return CallError(StrCat("cannot index slice/array with type ", TypeName(k)));
             }
             size_t n = v.kind == K::kVector ? v.vector->size() : v.s.size();
             if (k.i < 0 || static_cast<size_t>(k.i) >= n) {
               return CallError(StrCat("index out of range: ", k.i));
             }
             v = v.kind == K::kVector ? Value::Sample((*v.vector)[k.i])
                                      : Value::Int(static_cast<unsigned char>(v.s[k.i]));
             continue;
           }
           if (v.kind == K::kInvalid) return CallError("index of untyped nil");
           return CallError(StrCat("can't index item of type ", TypeName(v)));
         }
         return v;
       }}},
      {"print", {0, SIZE_MAX, {}, FN { return Value::String(GoSprint(a)); }}},
      {"println", {0, SIZE_MAX, {}, FN { return Value::String(GoSprintln(a)); }}},
      {"printf", {1, SIZE_MAX, {K::kString}, FN {
         return Value::String(GoSprintf(a[0].s, Args(a.begin() + 1, a.end())));
       }}},
      {"urlquery", {0, SIZE_MAX, {}, FN { return Value::String(QueryEscape(GoSprint(a))); }}},
      {"eq", {1, SIZE_MAX, {}, FN {
         if (a.size() < 2) return CallError("missing argument for comparison");
         for (size_t i = 1; i < a.size(); ++i) {
           auto r = Eq(a[0], a[i]);
           if (!r.ok() || *r) return r.ok() ? absl::StatusOr<Value>(Value::Bool(true)) : r.status();
         }
         return Value::Bool(false);
       }}},
      {"ne", {2, 2, {}, Compare<Ne>}},
      {"lt", {2, 2, {}, Compare<Lt>}},
      {"le", {2, 2, {}, Compare<Le>}},
      {"gt", {2, 2, {}, Compare<Gt>}},
      {"ge", {2, 2, {}, Compare<Ge>}},
      {"html", {0, SIZE_MAX, {}, FN {
         // text/template's HTMLEscaper over fmt.Sprint of the arguments.
         std::string out;
         for (char c : GoSprint(a)) {
           switch (c) {
             case '<': out += "&lt;"; break;
             case '>': out += "&gt;"; break;
             case '&': out += "&amp;"; break;
             case '\'': out += "&#39;"; break;
             case '"': out += "&#34;"; break;
             case '\0': out += "\uFFFD"; break;
             default: out.push_back(c);
           }
         }
         return Value::String(out);
       }}},
      {"js", {0, SIZE_MAX, {}, nullptr}},
      {"call", {1, SIZE_MAX, {}, nullptr}},
      {"slice", {1, SIZE_MAX, {}, nullptr}},
      // Prometheus 2.42's template/template.go.
      {"query", {1, 1, {K::kString}, FN {
         if (env.query == nullptr || !*env.query) return CallError("query is not available here");
         auto v = (*env.query)(a[0].s);
         if (!v.ok()) return CallError(std::string(v.status().message()));
         auto list = std::make_shared<SampleList>();
         for (const promql::Sample& s : *v) {
           list->push_back(std::make_shared<TemplateSample>(TemplateSample{s.metric, s.value}));
         }
         return Value::Vector(std::move(list));
       }}},
      {"first", {1, 1, {K::kVector}, FN {
         if (!a[0].vector || a[0].vector->empty()) {
           return CallError("first() called on vector with no elements");
         }
         return Value::Sample(a[0].vector->front());
       }}},
      {"label", {2, 2, {K::kString, K::kSample}, FN {
         if (!a[1].sample) return CallError("runtime error: invalid memory address or nil pointer dereference");
         return Value::String(std::string(a[1].sample->labels.Get(a[0].s)));
       }}},
      {"value", {1, 1, {K::kSample}, FN {
         if (!a[0].sample) return CallError("runtime error: invalid memory address or nil pointer dereference");
         return Value::Float(a[0].sample->value);
       }}},
      {"strvalue", {1, 1, {K::kSample}, FN {
         if (!a[0].sample) return CallError("runtime error: invalid memory address or nil pointer dereference");
         return Value::String(std::string(a[0].sample->labels.Get("__value__")));
       }}},
      {"args", {0, SIZE_MAX, {}, FN {
         auto m = std::make_shared<ValueMap>();
         for (size_t i = 0; i < a.size(); ++i) (*m)[StrCat("arg", i)] = a[i];
         Value v;
         v.kind = K::kMap;
         v.map = std::move(m);
         return v;
       }}},
      {"reReplaceAll", {3, 3, {K::kString, K::kString, K::kString}, ReReplaceAll}},
      {"safeHtml", {1, 1, {K::kString}, FN { return a[0]; }}},
      {"match", {2, 2, {K::kString, K::kString}, FN {
         auto re = Compile(a[0].s);
         if (!re.ok()) return re.status();
         return Value::Bool(RE2::PartialMatch(a[1].s, **re));
       }}},
      {"title", {1, 1, {K::kString}, FN { return Value::String(Title(a[0].s)); }}},
      {"toUpper", {1, 1, {K::kString}, FN {
         std::string s = a[0].s;
         for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
         return Value::String(s);
       }}},
      {"toLower", {1, 1, {K::kString}, FN {
         std::string s = a[0].s;
         for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
         return Value::String(s);
       }}},
      {"graphLink", {1, 1, {K::kString}, FN {
         return Value::String(StrCat("/graph?g0.expr=", QueryEscape(a[0].s), "&g0.tab=0"));
       }}},
      {"tableLink", {1, 1, {K::kString}, FN {
         return Value::String(StrCat("/graph?g0.expr=", QueryEscape(a[0].s), "&g0.tab=1"));
       }}},
      {"sortByLabel", {2, 2, {K::kString, K::kVector}, FN {
         auto list = std::make_shared<SampleList>(a[1].vector ? *a[1].vector : SampleList{});
         const std::string& l = a[0].s;
         std::stable_sort(list->begin(), list->end(), [&](const auto& x, const auto& y) {
           return x->labels.Get(l) < y->labels.Get(l);
         });
         return Value::Vector(std::move(list));
       }}},
      {"humanize", {1, 1, {}, FloatToString<Humanize>}},
      {"humanize1024", {1, 1, {}, FloatToString<Humanize1024>}},
      {"humanizeDuration", {1, 1, {}, FloatToString<HumanizeDuration>}},
      {"humanizePercentage", {1, 1, {}, FloatToString<HumanizePercentage>}},
      {"humanizeTimestamp", {1, 1, {}, FN {
         auto f = ToFloat(a[0]);
         if (!f.ok()) return f.status();
         if (std::isnan(*f) || std::isinf(*f)) return Value::String(GoSprintf("%.4g", {Value::Float(*f)}));
         Value t;
         t.kind = K::kTime;
         t.f = *f;
         return Value::String(PrintValue(t));
       }}},
      {"toTime", {1, 1, {}, FN {
         auto f = ToFloat(a[0]);
         if (!f.ok()) return f.status();
         Value t;
         t.kind = K::kTime;
         t.f = *f;
         return t;
       }}},
      {"pathPrefix", {0, 0, {}, FN { return Value::String(PathOf(env.external_url)); }}},
      {"externalURL", {0, 0, {}, FN { return Value::String(env.external_url); }}},
      {"parseDuration", {1, 1, {K::kString}, FN {
         auto ms = promql::ParseDurationMs(a[0].s);
         if (!ms.ok()) return CallError(std::string(ms.status().message()));
         return Value::Float(static_cast<double>(*ms) / 1000);
       }}},
  };
  return *kFuncs;
}

#undef FN

}  // namespace

bool IsTemplateFunction(std::string_view name) { return Funcs().count(name) > 0; }

Value::Kind ParamKind(std::string_view name, size_t index) {
  auto it = Funcs().find(name);
  if (it == Funcs().end() || index >= it->second.params.size()) return K::kInvalid;
  return it->second.params[index];
}

absl::StatusOr<Value> CallFunction(const ExecEnv& env, std::string_view name, Args& args) {
  auto it = Funcs().find(name);
  if (it == Funcs().end()) return CheckError(StrCat("\"", name, "\" is not a defined function"));
  const FuncSpec& spec = it->second;
  if (auto s = Arity(name, args, spec.min, spec.max); !s.ok()) return s;
  for (size_t i = 0; i < spec.params.size() && i < args.size(); ++i) {
    if (auto s = Want(args[i], spec.params[i]); !s.ok()) return s;
  }
  if (spec.fn == nullptr) {
    return CallError(StrCat("function \"", name, "\" is not supported by vigil's alert templates"));
  }
  return spec.fn(env, args);
}

}  // namespace vigil::rules::tmpl
