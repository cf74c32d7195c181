#include "lib/rules/template_value.h"

#include <cmath>
#include <climits>
#include <cstdio>
#include <ctime>

#include "lib/base/format.h"
#include "lib/rules/template.h"

namespace vigil::rules::tmpl {
namespace {

std::string FormatLabels(const labels::Labels& ls) {
  std::string out = "map[";
  bool first = true;
  for (const labels::LabelView& l : ls) {
    if (!first) out += " ";
    first = false;
    out += l.name;
    out += ":";
    out += l.value;
  }
  return out + "]";
}

std::string FormatSampleStruct(const TemplateSample& s) {
  return StrCat("{", FormatLabels(s.labels), " ", FormatGoFloat(s.value), "}");
}

// Go's time.Time.String() in UTC at millisecond precision (model.Time).
std::string FormatTime(double secs) {
  int64_t ms = GoInt64(secs * 1e9) / 1000000;
  int64_t s = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --s;
  }
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + " +0000 UTC";
}

// Go's rules for the sign/NaN/Inf spellings C does not share.
std::string GoSpecialFloat(double v, bool plus) {
  if (std::isnan(v)) return plus ? "+NaN" : "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

std::string Pad(std::string s, int width, bool minus, bool zero) {
  if (width <= 0 || static_cast<int>(s.size()) >= width) return s;
  size_t n = width - s.size();
  if (minus) return s + std::string(n, ' ');
  if (zero) {
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return s.substr(0, sign) + std::string(n, '0') + s.substr(sign);
  }
  return std::string(n, ' ') + s;
}

std::string Utf8(int64_t r) {
  std::string out;
  if (r < 0 || r > 0x10FFFF) r = 0xFFFD;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
  return out;
}

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, prec = -1;
  char verb = 'v';
};

// The C format for `spec` with the given length modifier and verb.
std::string CFormat(const Spec& sp, const char* len, char verb) {
  std::string f = "%";
  if (sp.minus) f += '-';
  if (sp.plus) f += '+';
  if (sp.sharp) f += '#';
  if (sp.space) f += ' ';
  if (sp.zero && !sp.minus) f += '0';
  if (sp.width >= 0) f += std::to_string(sp.width);
  if (sp.prec >= 0) f += "." + std::to_string(sp.prec);
  return f + len + verb;
}

template <typename T>
std::string CPrintf(const std::string& f, T v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f.c_str(), v);
  return buf;
}

bool FormatOne(const Spec& sp, const Value& v, std::string* out) {
  using K = Value::Kind;
  const char verb = sp.verb;
  switch (v.kind) {
    case K::kBool:
      if (verb != 'v' && verb != 't') return false;
      *out = Pad(v.b ? "true" : "false", sp.width, sp.minus, false);
      return true;
    case K::kInt:
      switch (verb) {
        case 'v': case 'd': *out = CPrintf(CFormat(sp, "ll", 'd'), (long long)v.i); return true;
        case 'x': case 'X': case 'o':
          if (v.i < 0) {
            *out = "-" + CPrintf(CFormat(sp, "ll", verb), 0ULL - static_cast<unsigned long long>(v.i));
          } else {
            *out = CPrintf(CFormat(sp, "ll", verb), (unsigned long long)v.i);
          }
          return true;
        case 'c': *out = Pad(Utf8(v.i), sp.width, sp.minus, false); return true;
        case 'q': *out = Pad("'" + Utf8(v.i) + "'", sp.width, sp.minus, false); return true;
        default: return false;
      }
    case K::kFloat: {
      char cv = verb;
      if (verb == 'v') cv = 'g';
      if (cv != 'e' && cv != 'E' && cv != 'f' && cv != 'F' && cv != 'g' && cv != 'G') return false;
      if (std::isnan(v.f) || std::isinf(v.f)) {
        *out = Pad(GoSpecialFloat(v.f, sp.plus), sp.width, sp.minus, false);
        return true;
      }
      if ((cv == 'g' || cv == 'G') && sp.prec < 0) {
        std::string s = FormatGoFloat(v.f);
        if (cv == 'G') {
          for (char& c : s) c = c == 'e' ? 'E' : c;
        }
        if (sp.plus && v.f >= 0) s = "+" + s;
        *out = Pad(s, sp.width, sp.minus, sp.zero);
        return true;
      }
      *out = CPrintf(CFormat(sp, "", cv), v.f);
      return true;
    }
    case K::kString:
      switch (verb) {
        case 'v': case 's': {
          std::string s = sp.prec >= 0 ? v.s.substr(0, sp.prec) : v.s;
          *out = Pad(s, sp.width, sp.minus, sp.zero);
          return true;
        }
        case 'q': *out = Pad(labels::GoQuote(v.s), sp.width, sp.minus, false); return true;
        case 'x': case 'X': {
          std::string s;
          for (unsigned char c : v.s) s += CPrintf(verb == 'x' ? "%02x" : "%02X", (unsigned)c);
          *out = Pad(s, sp.width, sp.minus, false);
          return true;
        }
        default: return false;
      }
    default:
      if (verb != 'v' && verb != 's') return false;
      *out = Pad(FormatValue(v), sp.width, sp.minus, false);
      return true;
  }
}

}  // namespace

Value Value::Bool(bool v) { Value r; r.kind = Kind::kBool; r.b = v; return r; }
Value Value::Int(int64_t v) { Value r; r.kind = Kind::kInt; r.i = v; return r; }
Value Value::Float(double v) { Value r; r.kind = Kind::kFloat; r.f = v; return r; }
Value Value::String(std::string v) { Value r; r.kind = Kind::kString; r.s = std::move(v); return r; }
Value Value::Labels(std::shared_ptr<const labels::Labels> v) {
  Value r;
  r.kind = Kind::kLabels;
  r.labels = std::move(v);
  return r;
}
Value Value::Sample(std::shared_ptr<const TemplateSample> v) {
  Value r;
  r.kind = Kind::kSample;
  r.sample = std::move(v);
  return r;
}
Value Value::Vector(std::shared_ptr<const SampleList> v) {
  Value r;
  r.kind = Kind::kVector;
  r.vector = std::move(v);
  return r;
}

int64_t GoInt64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(v);
}

std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInvalid: return "<nil>";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float64";
    case Value::Kind::kString: return "string";
    case Value::Kind::kLabels: return "map[string]string";
    case Value::Kind::kSample: return "*template.sample";
    case Value::Kind::kVector: return "template.queryResult";
    case Value::Kind::kMap: return "map[string]interface {}";
    case Value::Kind::kData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL "
             "string; Value float64 }";
    case Value::Kind::kTime: return "*time.Time";
  }
  return "?";
}

bool IsTrue(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInvalid: return false;
    case Value::Kind::kBool: return v.b;
    case Value::Kind::kInt: return v.i != 0;
    case Value::Kind::kFloat: return v.f != 0;
    case Value::Kind::kString: return !v.s.empty();
    case Value::Kind::kLabels: return !v.labels->empty();
    case Value::Kind::kSample: return v.sample != nullptr;
    case Value::Kind::kVector: return !v.vector->empty();
    case Value::Kind::kMap: return !v.map->empty();
    case Value::Kind::kData: case Value::Kind::kTime: return true;
  }
  return false;
}

std::string FormatValue(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInvalid: return "<nil>";
    case Value::Kind::kBool: return v.b ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.i);
    case Value::Kind::kFloat: return FormatGoFloat(v.f);
    case Value::Kind::kString: return v.s;
    case Value::Kind::kLabels: return FormatLabels(*v.labels);
    case Value::Kind::kSample: return v.sample ? "&" + FormatSampleStruct(*v.sample) : "<nil>";
    case Value::Kind::kVector: {
      // Go prints the pointers' addresses here; vigil prints the samples instead.
      std::string out = "[";
      for (size_t i = 0; i < v.vector->size(); ++i) {
        out += (i ? " " : "") + FormatSampleStruct(*(*v.vector)[i]);
      }
      return out + "]";
    }
    case Value::Kind::kMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : *v.map) {
        out += (first ? "" : " ") + k + ":" + FormatValue(e);
        first = false;
      }
      return out + "]";
    }
    case Value::Kind::kData:
      return StrCat("{", FormatLabels(*v.data->labels), " ", FormatLabels(*v.data->external_labels),
                    " ", v.data->external_url, " ", FormatGoFloat(v.data->value), "}");
    case Value::Kind::kTime: return "&" + FormatTime(v.f);
  }
  return "";
}

std::string PrintValue(const Value& v) {
  if (v.kind == Value::Kind::kInvalid) return "<no value>";
  if (v.kind == Value::Kind::kSample) return v.sample ? FormatSampleStruct(*v.sample) : "<nil>";
  if (v.kind == Value::Kind::kTime) return FormatTime(v.f);
  return FormatValue(v);
}

std::string GoSprintf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    Spec sp;
    size_t j = i + 1;
    for (; j < format.size(); ++j) {
      char c = format[j];
      if (c == '-') sp.minus = true;
      else if (c == '+') sp.plus = true;
      else if (c == '#') sp.sharp = true;
      else if (c == ' ') sp.space = true;
      else if (c == '0') sp.zero = true;
      else break;
    }
    auto number = [&](int* target) {
      if (j < format.size() && format[j] == '*') {
        ++j;
        if (arg < args.size() && args[arg].kind == Value::Kind::kInt) {
          *target = static_cast<int>(std::min<int64_t>(args[arg].i, 1000));
        } else {
          out += "%!(BADWIDTH)";
        }
        ++arg;
        return;
      }
      int n = 0;
      bool any = false;
      while (j < format.size() && format[j] >= '0' && format[j] <= '9') {
        n = std::min(n * 10 + (format[j++] - '0'), 1000);
        any = true;
      }
      if (any) *target = n;
    };
    number(&sp.width);
    if (j < format.size() && format[j] == '.') {
      ++j;
      sp.prec = 0;
      number(&sp.prec);
    }
    if (j >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    // Go's verbs are runes; a multi-byte one is taken whole.
    size_t vlen = 1;
    unsigned char lead = static_cast<unsigned char>(format[j]);
    if (lead >= 0xC0) vlen = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    std::string verb = format.substr(j, vlen);
    sp.verb = vlen == 1 ? format[j] : '?';
    i = j + vlen - 1;
    if (verb == "%") {
      out += "%";
      continue;
    }
    if (arg >= args.size()) {
      out += "%!" + verb + "(MISSING)";
      continue;
    }
    const Value& v = args[arg++];
    std::string s;
    if (v.kind == Value::Kind::kInvalid) {
      out += sp.verb == 'v' ? Pad("<nil>", sp.width, sp.minus, false) : "%!" + verb + "(<nil>)";
    } else if (vlen == 1 && FormatOne(sp, v, &s)) {
      out += s;
    } else {
      out += "%!" + verb + "(" + TypeName(v) + "=" + FormatValue(v) + ")";
    }
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      out += args[k].kind == Value::Kind::kInvalid ? "<nil>"
                                                   : TypeName(args[k]) + "=" + FormatValue(args[k]);
    }
    out += ")";
  }
  return out;
}

std::string GoSprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i].kind == Value::Kind::kString;
    if (i > 0 && !is_string && args[i - 1].kind != Value::Kind::kString) out += " ";
    out += FormatValue(args[i]);
  }
  return out;
}

std::string GoSprintln(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + FormatValue(args[i]);
  return out + "\n";
}

}  // namespace vigil::rules::tmpl
