#include "lib/rules/template.h"

#include <algorithm>
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

// C's "nan"/"inf" spelled as Go's "NaN"/"+Inf"/"-Inf".
std::string FixGoSpecial(const char* formatted, double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return formatted;
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

// Prometheus humanize1024: binary prefixes for |v| >= 1.
std::string Humanize1024(double v) {
  char buf[64];
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) {
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return FixGoSpecial(buf, v);
  }
  static const char* kPrefixes[] = {"", "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  int i = 0;
  while (std::fabs(v) >= 1024 && i < 8) {
    v /= 1024;
    ++i;
  }
  std::snprintf(buf, sizeof buf, "%.4g%s", v, kPrefixes[i]);
  return buf;
}

// Prometheus humanizeDuration: seconds as "1d 2h 3m 4s", "1m 5s", "4.5s", "250ms".
std::string HumanizeDuration(double v) {
  char buf[96];
  if (std::isnan(v) || std::isinf(v)) {
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return FixGoSpecial(buf, v);
  }
  if (v == 0) return "0s";
  if (std::fabs(v) >= 1) {
    const char* sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    int64_t d = static_cast<int64_t>(v);
    int64_t secs = d % 60, mins = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
    if (days != 0) {
      std::snprintf(buf, sizeof buf, "%s%lldd %lldh %lldm %llds", sign, (long long)days,
                    (long long)hours, (long long)mins, (long long)secs);
    } else if (hours != 0) {
      std::snprintf(buf, sizeof buf, "%s%lldh %lldm %llds", sign, (long long)hours, (long long)mins,
                    (long long)secs);
    } else if (mins != 0) {
      std::snprintf(buf, sizeof buf, "%s%lldm %llds", sign, (long long)mins, (long long)secs);
    } else {
      std::snprintf(buf, sizeof buf, "%s%.4gs", sign, v);
    }
    return buf;
  }
  static const char* kPrefixes[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  const char* prefix = "";
  for (const char* p : kPrefixes) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  std::snprintf(buf, sizeof buf, "%.4g%ss", v, prefix);
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
  // {{ if }} / {{ else }} / {{ end }}: whether each open block's current branch is output.
  struct Block {
    bool outer;  // the enclosing blocks are output
    bool taken;  // the if branch was taken
    bool in_else;
  };
  std::vector<Block> blocks;
  auto emitting = [&] {
    return blocks.empty() ||
           (blocks.back().outer && (blocks.back().taken != blocks.back().in_else));
  };
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      if (!blocks.empty()) {
        return StrCat("<error expanding template: template: ", name, ":1: unexpected EOF>");
      }
      out.append(text.substr(pos));
      return out;
    }
    if (emitting()) out.append(text.substr(pos, open - pos));
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
      if (t == "$externalURL" || t == ".ExternalURL") {
        *s = std::string(data.external_url);
        return true;
      }
      if (t == "$value" || t == ".Value") {
        *num = data.value;
        *is_num = true;
        return true;
      }
      for (auto [prefix, ls] :
           {std::pair{std::string_view("$labels."), data.labels},
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
      if (!t.empty() && (absl::ascii_isdigit(t[0]) || t[0] == '-' || t[0] == '.')) {
        char* end = nullptr;
        double v = std::strtod(t.c_str(), &end);
        if (end != t.c_str() && *end == '\0') {
          *num = v;
          *is_num = true;
          return true;
        }
      }
      return false;
    };
    // Control flow: if (with gt/lt/ge/le/eq/ne or a single operand's truth), else, end.
    if (!toks.empty() && (toks[0] == "if" || toks[0] == "else" || toks[0] == "end")) {
      if (toks[0] == "end") {
        if (blocks.empty() || toks.size() != 1) return fail("unexpected {{end}}");
        blocks.pop_back();
      } else if (toks[0] == "else") {
        if (blocks.empty() || blocks.back().in_else || toks.size() != 1) {
          return fail("unexpected {{else}}");
        }
        blocks.back().in_else = true;
      } else {
        bool outer = emitting();
        bool taken = false;
        if (outer) {
          static const std::vector<std::string> kCmp = {"gt", "lt", "ge", "le", "eq", "ne"};
          if (toks.size() == 4 && std::find(kCmp.begin(), kCmp.end(), toks[1]) != kCmp.end()) {
            std::string as, bs;
            double an = 0, bn = 0;
            bool a_num = false, b_num = false;
            if (!operand(toks[2], &as, &an, &a_num) || !operand(toks[3], &bs, &bn, &b_num)) {
              return fail(StrCat("unsupported action \"", action, "\""));
            }
            if (a_num != b_num)
              return fail(StrCat("error calling ", toks[1], ": incompatible types for comparison"));
            int c = a_num ? (an < bn ? -1 : an > bn ? 1 : 0) : as.compare(bs);
            bool unordered = a_num && (std::isnan(an) || std::isnan(bn));
            const std::string& op = toks[1];
            taken = op == "gt"   ? (!unordered && c > 0)
                    : op == "lt" ? (!unordered && c < 0)
                    : op == "ge" ? (!unordered && c >= 0)
                    : op == "le" ? (!unordered && c <= 0)
                    : op == "eq" ? (!unordered && c == 0)
                                 : (unordered || c != 0);
          } else if (toks.size() == 2) {
            std::string as;
            double an = 0;
            bool a_num = false;
            if (!operand(toks[1], &as, &an, &a_num)) {
              return fail(StrCat("unsupported action \"", action, "\""));
            }
            taken = a_num ? an != 0 : !as.empty();
          } else {
            return fail(StrCat("unsupported action \"", action, "\""));
          }
        }
        blocks.push_back({outer, taken, false});
      }
      pos = close + 2;
      continue;
    }
    if (!emitting()) {
      pos = close + 2;
      continue;
    }
    // Normalise "x | f args" into "f args x".
    std::vector<std::string> call;
    {
      std::vector<std::vector<std::string>> stages(1);
      for (auto& t : toks) {
        if (t == "|")
          stages.emplace_back();
        else
          stages.back().push_back(t);
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
      if (!operand(call[0], &s, &num, &is_num))
        return fail(StrCat("unsupported action \"", action, "\""));
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
      } else if (fn == "humanize1024" && call.size() == 2) {
        out += Humanize1024(arg);
      } else if (fn == "humanizeDuration" && call.size() == 2) {
        out += HumanizeDuration(arg);
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
