#include "lib/rules/template.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"

namespace vigil::rules {
namespace {

std::vector<std::string> Tokens(std::string_view action) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < action.size()) {
    if (absl::ascii_isspace(action[i])) {
      ++i;
      continue;
    }
    if (action[i] == '"') {
      size_t j = i + 1;
      std::string s;
      while (j < action.size() && action[j] != '"') {
        if (action[j] == '\\' && j + 1 < action.size()) {
          char n = action[++j];
          s.push_back(n == 'n' ? '\n' : n);
        } else {
          s.push_back(action[j]);
        }
        ++j;
      }
      out.push_back("\"" + s);  // marks a string literal
      i = j + 1;
      continue;
    }
    if (action[i] == '|') {
      out.push_back("|");
      ++i;
      continue;
    }
    size_t j = i;
    while (j < action.size() && !absl::ascii_isspace(action[j]) && action[j] != '|') ++j;
    out.emplace_back(action.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return StrCat(FormatGoFloat(v));
  static const char* kBig[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"", "m", "u", "n", "p", "f", "a", "z", "y"};
  char buf[64];
  if (std::fabs(v) >= 1) {
    int i = 0;
    while (std::fabs(v) >= 1000 && i < 8) {
      v /= 1000;
      ++i;
    }
    std::snprintf(buf, sizeof buf, "%.4g%s", v, kBig[i]);
  } else {
    int i = 0;
    while (std::fabs(v) < 1 && i < 8) {
      v *= 1000;
      ++i;
    }
    std::snprintf(buf, sizeof buf, "%.4g%s", v, kSmall[i]);
  }
  return buf;
}

// Go's printf for the one-float-argument verbs people use in annotations.
std::string GoPrintf(const std::string& format, double v, bool* ok) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    size_t j = i + 1;
    while (j < format.size() && (absl::ascii_isdigit(format[j]) || format[j] == '.' ||
                                 format[j] == '-' || format[j] == '+')) {
      ++j;
    }
    if (j >= format.size()) {
      *ok = false;
      return out;
    }
    char verb = format[j];
    std::string spec = format.substr(i, j - i);
    char buf[128];
    if (verb == '%') {
      out.push_back('%');
    } else if (verb == 'f' || verb == 'e' || verb == 'g') {
      std::snprintf(buf, sizeof buf, (spec + verb).c_str(), v);
      out += buf;
    } else if (verb == 'v') {
      out += FormatGoFloat(v);
    } else if (verb == 'd') {
      out += StrCat("%!d(float64=", FormatGoFloat(v), ")");
    } else {
      *ok = false;
      return out;
    }
    i = j;
  }
  return out;
}

}  // namespace

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  std::string s(sci, r.ptr);
  int exp = std::atoi(s.c_str() + s.find('e') + 1);
  // strconv.FormatFloat(v, 'g', -1, 64): shortest digits, %e when the exponent is < -4
  // or >= 6 (e.g. 1e+08, 1.234567e+06), else plain decimal.
  if (exp < -4 || exp >= 6) return s;
  char fixed[128];
  auto f = std::to_chars(fixed, fixed + sizeof fixed, v, std::chars_format::fixed);
  return std::string(fixed, f.ptr);
}

std::string ExpandTemplate(std::string_view name, std::string_view text, const TemplateData& data) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return StrCat("<error expanding template: template: ", name, ":1: unclosed action>");
    }
    std::string_view action = text.substr(open + 2, close - open - 2);
    if (!action.empty() && action.front() == '-') action.remove_prefix(1);
    if (!action.empty() && action.back() == '-') action.remove_suffix(1);
    std::vector<std::string> toks = Tokens(action);
    auto fail = [&](std::string_view what) {
      return StrCat("<error expanding template: template: ", name, ": ", what, ">");
    };
    // Resolve a single operand.
    auto operand = [&](const std::string& t, std::string* s, double* num, bool* is_num) -> bool {
      *is_num = false;
      if (t == "$value" || t == ".Value") {
        *num = data.value;
        *is_num = true;
        return true;
      }
      for (auto [prefix, ls] : {std::pair{std::string_view("$labels."), data.labels},
                                std::pair{std::string_view(".Labels."), data.labels},
                                std::pair{std::string_view("$externalLabels."), data.external_labels},
                                std::pair{std::string_view(".ExternalLabels."), data.external_labels}}) {
        if (t.rfind(prefix, 0) == 0) {
          *s = ls ? std::string(ls->Get(t.substr(prefix.size()))) : "";
          return true;
        }
      }
      if (!t.empty() && t[0] == '"') {
        *s = t.substr(1);
        return true;
      }
      return false;
    };
    // Normalise "x | f args" into "f args x".
    std::vector<std::string> call;
    {
      std::vector<std::vector<std::string>> stages(1);
      for (auto& t : toks) {
        if (t == "|") stages.emplace_back();
        else stages.back().push_back(t);
      }
      call = stages[0];
      for (size_t i = 1; i < stages.size(); ++i) {
        std::vector<std::string> next = stages[i];
        if (call.size() != 1) return fail("unsupported pipeline");
        next.push_back(call[0]);
        call = next;
      }
    }
    if (call.empty()) return fail("missing value for command");
    std::string s;
    double num = 0;
    bool is_num = false;
    if (call.size() == 1) {
      if (!operand(call[0], &s, &num, &is_num)) return fail(StrCat("unsupported action \"", action, "\""));
      out += is_num ? FormatGoFloat(num) : s;
    } else {
      const std::string& fn = call[0];
      std::string arg_s;
      double arg = 0;
      bool arg_num = false;
      if (!operand(call.back(), &arg_s, &arg, &arg_num)) {
        return fail(StrCat("unsupported action \"", action, "\""));
      }
      if (!arg_num) {
        auto parsed = std::strtod(arg_s.c_str(), nullptr);
        arg = parsed;
      }
      if (fn == "printf" && call.size() == 3 && call[1][0] == '"') {
        bool ok = true;
        std::string r = arg_num ? GoPrintf(call[1].substr(1), arg, &ok) : "";
        if (!arg_num) {
          // printf "%s" $labels.x
          std::string f = call[1].substr(1);
          size_t p = f.find("%s");
          r = p == std::string::npos ? f : f.substr(0, p) + arg_s + f.substr(p + 2);
        }
        if (!ok) return fail(StrCat("unsupported printf format \"", call[1].substr(1), "\""));
        out += r;
      } else if (fn == "humanize" && call.size() == 2) {
        out += Humanize(arg);
      } else if (fn == "humanizePercentage" && call.size() == 2) {
        out += StrCat(Humanize(arg * 100), "%");
      } else {
        return fail(StrCat("function \"", fn, "\" not supported in this version"));
      }
    }
    pos = close + 2;
  }
}

}  // namespace vigil::rules
