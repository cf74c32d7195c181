#include "lib/relabel/relabel.h"

#include <re2/re2.h>

#include <array>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::relabel {
namespace {

constexpr std::string_view kDefaultRegex = "(.*)";
constexpr std::string_view kDefaultReplacement = "$1";
constexpr std::string_view kDefaultSeparator = ";";

struct ActionEntry {
  std::string_view name;
  Action action;
};
constexpr ActionEntry kActions[] = {
    {"replace", Action::kReplace},     {"keep", Action::kKeep},
    {"drop", Action::kDrop},           {"keepequal", Action::kKeepEqual},
    {"dropequal", Action::kDropEqual}, {"hashmod", Action::kHashMod},
    {"labelmap", Action::kLabelMap},   {"labeldrop", Action::kLabelDrop},
    {"labelkeep", Action::kLabelKeep}, {"lowercase", Action::kLowercase},
    {"uppercase", Action::kUppercase},
};

// Prometheus's relabelTarget: a label name in which ${1}/$name references may stand.
const re2::RE2& RelabelTarget() {
  static const re2::RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re;
}

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// MD5 (RFC 1321), for hashmod's compatibility with Prometheus.
std::array<uint8_t, 16> Md5(std::string_view msg) {
  static const std::array<uint32_t, 64> k = [] {
    std::array<uint32_t, 64> out{};
    for (int i = 0; i < 64; ++i) {
      out[i] = static_cast<uint32_t>(std::floor(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
    }
    return out;
  }();
  static constexpr int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  std::string m(msg);
  uint64_t bits = static_cast<uint64_t>(msg.size()) * 8;
  m.push_back(static_cast<char>(0x80));
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 0; i < 8; ++i) m.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  auto rotl = [](uint32_t x, int c) { return (x << c) | (x >> (32 - c)); };
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + 4 * i);
      w[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; ++i) {
      uint32_t f;
      int g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      f = f + a + k[i] + w[g];
      a = d;
      d = c;
      c = b;
      b = b + rotl(f, r[i]);
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>((h[i] >> (8 * j)) & 0xff);
  }
  return out;
}

// Matches `val` against the anchored regex; fills the submatches (index 0: whole match).
bool Submatches(const re2::RE2& re, std::string_view val, std::vector<std::string_view>* groups) {
  int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(n);
  if (!re.Match(re2::StringPiece(val.data(), val.size()), 0, val.size(), re2::RE2::UNANCHORED,
                pieces.data(), n)) {
    return false;
  }
  groups->clear();
  for (const auto& p : pieces) groups->emplace_back(p.data(), p.size());
  return true;
}

std::vector<std::string> GroupNames(const re2::RE2& re) {
  std::vector<std::string> names(re.NumberOfCapturingGroups() + 1);
  for (const auto& [idx, name] : re.CapturingGroupNames()) names[idx] = name;
  return names;
}

bool Matches(const Config& c, std::string_view s) {
  return re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *c.compiled);
}

}  // namespace

std::string_view ActionName(Action a) {
  for (const auto& e : kActions) {
    if (e.action == a) return e.name;
  }
  return "?";
}

std::string Expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                   const std::vector<std::string>& group_names) {
  std::string out;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // Go's regexp extract(): $name or ${name}, a name of letters, digits and underscores.
    std::string_view s = tmpl;
    bool brace = !s.empty() && s[0] == '{';
    if (brace) s.remove_prefix(1);
    size_t i = 0;
    while (i < s.size() && IsWordChar(s[i])) ++i;
    if (i == 0 || (brace && (i >= s.size() || s[i] != '}'))) {
      out.push_back('$');  // malformed: the $ is literal text
      continue;
    }
    std::string_view name = s.substr(0, i);
    tmpl = s.substr(i + (brace ? 1 : 0));
    int num = 0;
    for (char c : name) {
      if (!absl::ascii_isdigit(c) || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num >= 0) {
      if (static_cast<size_t>(num) < groups.size()) out.append(groups[num]);
    } else {
      for (size_t g = 0; g < group_names.size() && g < groups.size(); ++g) {
        if (group_names[g] == name) {
          out.append(groups[g]);
          break;
        }
      }
    }
  }
  out.append(tmpl);
  return out;
}

uint64_t HashModValue(std::string_view s) {
  std::array<uint8_t, 16> sum = Md5(s);
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | sum[i];
  return v;
}

absl::Status Compile(Config& c) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<re2::RE2>(StrCat("^(?:", c.regex, ")$"), options);
  if (!re->ok()) {
    std::string why = re->error();
    if (size_t colon = why.rfind(": "); colon != std::string::npos) why.resize(colon);
    return absl::InvalidArgumentError(
        StrCat("invalid regular expression \"", c.regex, "\": ", why));
  }
  c.compiled = std::move(re);
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(StrCat(parts...)); };
  Action a = c.action;
  std::string_view name = ActionName(a);
  bool is_case = a == Action::kLowercase || a == Action::kUppercase;
  bool is_equal = a == Action::kKeepEqual || a == Action::kDropEqual;
  if (a == Action::kHashMod && c.modulus == 0) {
    return bad("relabel configuration for hashmod requires non-zero modulus");
  }
  if ((a == Action::kReplace || a == Action::kHashMod || is_case || is_equal) &&
      c.target_label.empty()) {
    return bad("relabel configuration for ", name, " action requires 'target_label' value");
  }
  if ((a == Action::kReplace || is_case || is_equal) &&
      !re2::RE2::FullMatch(c.target_label, RelabelTarget())) {
    return bad("\"", c.target_label, "\" is invalid 'target_label' for ", name, " action");
  }
  if ((is_case || is_equal || a == Action::kHashMod) && !labels::IsValidLabelName(c.target_label)) {
    return bad("\"", c.target_label, "\" is invalid 'target_label' for ", name, " action");
  }
  if ((is_case || is_equal) && c.replacement != kDefaultReplacement) {
    return bad("'replacement' can not be set for ", name, " action");
  }
  if (a == Action::kLabelMap && !re2::RE2::FullMatch(c.replacement, RelabelTarget())) {
    return bad("\"", c.replacement, "\" is invalid 'replacement' for ", name, " action");
  }
  if (is_equal && (c.regex != kDefaultRegex || c.modulus != 0 || c.separator != kDefaultSeparator ||
                   c.replacement != kDefaultReplacement)) {
    return bad(name,
               " action requires only 'source_labels' and `target_label`, and no other fields");
  }
  if ((a == Action::kLabelDrop || a == Action::kLabelKeep) &&
      (!c.source_labels.empty() || !c.target_label.empty() || c.modulus != 0 ||
       c.separator != kDefaultSeparator || c.replacement != kDefaultReplacement)) {
    return bad(name, " action requires only 'regex', and no other fields");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Config>> ParseConfigs(std::string_view file, const YAML::Node& node) {
  std::vector<Config> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence()) return config::ErrorAt(file, node, "relabel configs must be a list");
  for (const YAML::Node& n : node) {
    if (auto s = config::ExpectMap(file, n, "relabel config"); !s.ok()) return s;
    if (auto s = config::CheckKeys(file, n,
                                   {"source_labels", "separator", "regex", "modulus",
                                    "target_label", "replacement", "action"},
                                   "relabel config");
        !s.ok()) {
      return s;
    }
    Config c;
    if (const YAML::Node sl = n["source_labels"]; sl && !sl.IsNull()) {
      if (!sl.IsSequence()) return config::ErrorAt(file, sl, "source_labels must be a list");
      for (const YAML::Node& l : sl) {
        if (!l.IsScalar() || !labels::IsValidLabelName(l.Scalar())) {
          return config::ErrorAt(
              file, l,
              StrCat("\"", l.IsScalar() ? l.Scalar() : "", "\" is not a valid label name"));
        }
        c.source_labels.push_back(l.Scalar());
      }
    }
    for (auto [key, field] : {std::pair{"separator", &c.separator},
                              {"regex", &c.regex},
                              {"target_label", &c.target_label},
                              {"replacement", &c.replacement}}) {
      if (auto s = config::ReadString(file, n, key, field); !s.ok()) return s;
    }
    if (n["modulus"]) {
      int64_t m = 0;
      if (auto s = config::ReadInt(file, n, "modulus", &m); !s.ok()) return s;
      if (m < 0) return config::ErrorAt(file, n["modulus"], "modulus must not be negative");
      c.modulus = static_cast<uint64_t>(m);
    }
    if (n["action"]) {
      std::string act;
      if (auto s = config::ReadString(file, n, "action", &act); !s.ok()) return s;
      std::string lower = absl::AsciiStrToLower(act);
      bool found = false;
      for (const auto& e : kActions) {
        if (e.name == lower) {
          c.action = e.action;
          found = true;
        }
      }
      if (!found)
        return config::ErrorAt(file, n["action"], StrCat("unknown relabel action \"", act, "\""));
    }
    if (absl::Status s = Compile(c); !s.ok()) {
      const YAML::Node at =
          absl::StartsWith(s.message(), "invalid regular expression") ? n["regex"] : n;
      return config::ErrorAt(file, at, ToStd(s.message()));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<labels::Labels> Process(const labels::Labels& input,
                                      const std::vector<Config>& configs) {
  labels::Labels ls = input;
  std::vector<std::string_view> groups;
  for (const Config& c : configs) {
    std::string val;
    for (size_t i = 0; i < c.source_labels.size(); ++i) {
      if (i > 0) val += c.separator;
      val += ls.Get(c.source_labels[i]);
    }
    switch (c.action) {
      case Action::kDrop:
        if (Matches(c, val)) return std::nullopt;
        break;
      case Action::kKeep:
        if (!Matches(c, val)) return std::nullopt;
        break;
      case Action::kDropEqual:
        if (ls.Get(c.target_label) == val) return std::nullopt;
        break;
      case Action::kKeepEqual:
        if (ls.Get(c.target_label) != val) return std::nullopt;
        break;
      case Action::kReplace: {
        if (!Submatches(*c.compiled, val, &groups)) break;
        std::vector<std::string> names = GroupNames(*c.compiled);
        std::string target = Expand(c.target_label, groups, names);
        if (!labels::IsValidLabelName(target)) break;
        ls = ls.With(target, Expand(c.replacement, groups, names));  // empty deletes
        break;
      }
      case Action::kLowercase:
        ls = ls.With(c.target_label, absl::AsciiStrToLower(val));
        break;
      case Action::kUppercase:
        ls = ls.With(c.target_label, absl::AsciiStrToUpper(val));
        break;
      case Action::kHashMod:
        ls = ls.With(c.target_label, StrCat(HashModValue(val) % c.modulus));
        break;
      case Action::kLabelMap: {
        labels::Labels next = ls;
        std::vector<std::string> names = GroupNames(*c.compiled);
        for (const labels::LabelView& l : ls) {
          if (!Submatches(*c.compiled, l.name, &groups)) continue;
          next = next.With(Expand(c.replacement, groups, names), l.value);
        }
        ls = std::move(next);
        break;
      }
      case Action::kLabelDrop:
      case Action::kLabelKeep: {
        labels::Labels next = ls;
        for (const labels::LabelView& l : ls) {
          if (Matches(c, l.name) == (c.action == Action::kLabelDrop)) next = next.Without(l.name);
        }
        ls = std::move(next);
        break;
      }
    }
  }
  return ls;
}

}  // namespace vigil::relabel
