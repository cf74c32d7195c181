#include "services/notifier/silences.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "absl/strings/str_format.h"
#include "lib/base/format.h"
#include "services/notifier/go_json.h"
#include "services/notifier/json_reader.h"
#include "services/notifier/rfc3339.h"

namespace vigil::notifier {

namespace {

using Ordered = nlohmann::ordered_json;

Ordered ToJson(const Silence& s, TimestampMs now) {
  Ordered j;
  j["id"] = s.id;
  j["status"] = {{"state", s.State(now)}};
  j["updatedAt"] = FormatApiTime(s.updated_at_ms);
  j["comment"] = s.comment;
  j["createdBy"] = s.created_by;
  j["endsAt"] = FormatApiTime(s.ends_at_ms);
  Ordered matchers = Ordered::array();
  for (const labels::Matcher& m : s.matchers) {
    const bool regex =
        m.type() == labels::MatchType::kRegex || m.type() == labels::MatchType::kNotRegex;
    const bool equal =
        m.type() == labels::MatchType::kEqual || m.type() == labels::MatchType::kRegex;
    matchers.push_back(
        {{"isEqual", equal}, {"isRegex", regex}, {"name", m.name()}, {"value", m.value()}});
  }
  j["matchers"] = std::move(matchers);
  j["startsAt"] = FormatApiTime(s.starts_at_ms);
  return j;
}

// Builds an nlohmann tree from ReadJson's events, so that strings decode as Go decodes them
// (an invalid UTF-8 byte or an unpaired surrogate escape becomes U+FFFD), as Alertmanager
// reads a silence; nlohmann's own parser rejects both.
class TreeBuilder final : public JsonEvents {
 public:
  nlohmann::json& root() { return root_; }

  bool Null() override { return Open(nullptr, false); }
  bool Boolean(bool value) override { return Open(value, false); }
  bool Number(std::string_view text) override {
    nlohmann::json n = nlohmann::json::parse(text, nullptr, false);
    return !n.is_discarded() && Open(std::move(n), false);
  }
  bool String(std::string& value) override { return Open(std::move(value), false); }
  // A key naming a field of a postable silence or matcher as Go matches it
  // (GoFieldNameMatches) is given the field's own name, at any depth: the names of the two
  // structs do not fold into each other. The last of keys naming one field wins, as in Go.
  bool Key(std::string& name) override {
    static constexpr std::string_view kFields[] = {
        "id",       "comment", "createdBy", "endsAt", "matchers", "startsAt",
        "updatedAt", "isEqual", "isRegex",  "name",   "value"};
    key_ = std::move(name);
    for (std::string_view field : kFields) {
      if (GoFieldNameMatches(key_, field)) {
        key_ = field;
        break;
      }
    }
    return true;
  }
  bool StartObject() override { return Open(nlohmann::json::object(), true); }
  bool EndObject() override { return Close(); }
  bool StartArray() override { return Open(nlohmann::json::array(), true); }
  bool EndArray() override { return Close(); }

 private:
  // Places `v` in the innermost open container (at key_ in an object; the last of equal
  // keys wins, as in Go) or as the root, and opens it if it is a container. The pointers
  // held stay valid: only the innermost container grows, and its children are closed.
  bool Open(nlohmann::json v, bool container) {
    nlohmann::json* placed = &root_;
    if (!open_.empty() && open_.back()->is_array()) {
      open_.back()->push_back(std::move(v));
      placed = &open_.back()->back();
    } else if (!open_.empty()) {
      placed = &(*open_.back())[key_];
      *placed = std::move(v);
    } else {
      root_ = std::move(v);
    }
    if (container) open_.push_back(placed);
    return true;
  }
  bool Close() {
    open_.pop_back();
    return true;
  }

  nlohmann::json root_;
  std::vector<nlohmann::json*> open_;
  std::string key_;
};

absl::StatusOr<std::string> ReadString(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::string();
  if (!j[field].is_string()) return absl::InvalidArgumentError(StrCat(field, " must be a string"));
  return j[field].get<std::string>();
}

absl::StatusOr<TimestampMs> ReadTime(const nlohmann::json& j, const char* field) {
  auto s = ReadString(j, field);
  if (!s.ok()) return s.status();
  if (s->empty()) return absl::InvalidArgumentError(StrCat(field, " is required"));
  auto t = ParseRfc3339(*s);
  if (!t.ok()) return absl::InvalidArgumentError(StrCat(field, ": ", t.status().message()));
  return *t;
}

}  // namespace

std::string Silence::State(TimestampMs now) const {
  if (now < starts_at_ms) return "pending";
  if (now < ends_at_ms) return "active";
  return "expired";
}

std::string GettableSilenceJson(const Silence& s, TimestampMs now) {
  return DumpGoJson(ToJson(s, now));
}

std::string GettableSilencesJson(const std::vector<Silence>& silences, TimestampMs now) {
  Ordered out = Ordered::array();
  for (const Silence& s : silences) out.push_back(ToJson(s, now));
  return DumpGoJson(out);
}

void SortSilences(std::vector<Silence>* silences, TimestampMs now) {
  auto rank = [now](const Silence& s) {
    if (s.Active(now)) return std::make_tuple(0, s.ends_at_ms);
    if (now < s.starts_at_ms) return std::make_tuple(1, s.starts_at_ms);
    return std::make_tuple(2, -s.ends_at_ms);
  };
  std::sort(silences->begin(), silences->end(), [&](const Silence& a, const Silence& b) {
    return std::make_tuple(rank(a), a.id) < std::make_tuple(rank(b), b.id);
  });
}

absl::StatusOr<Silence> ParseSilenceJson(const std::string& body) {
  TreeBuilder tree;
  if (!ReadJson(body, &tree)) return absl::InvalidArgumentError("invalid JSON body");
  nlohmann::json& j = tree.root();
  if (!j.is_object()) return absl::InvalidArgumentError("silence must be a JSON object");
  Silence s;
  auto id = ReadString(j, "id");
  if (!id.ok()) return id.status();
  s.id = *id;
  auto by = ReadString(j, "createdBy");
  if (!by.ok()) return by.status();
  s.created_by = *by;
  auto comment = ReadString(j, "comment");
  if (!comment.ok()) return comment.status();
  s.comment = *comment;
  auto starts = ReadTime(j, "startsAt");
  if (!starts.ok()) return starts.status();
  s.starts_at_ms = *starts;
  auto ends = ReadTime(j, "endsAt");
  if (!ends.ok()) return ends.status();
  s.ends_at_ms = *ends;
  if (j.contains("updatedAt")) {
    auto updated = ReadTime(j, "updatedAt");
    if (!updated.ok()) return updated.status();
    s.updated_at_ms = *updated;
  }
  if (!j.contains("matchers") || !j["matchers"].is_array()) {
    return absl::InvalidArgumentError("matchers must be a list");
  }
  for (const nlohmann::json& m : j["matchers"]) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("value") ||
        !m["value"].is_string() || !m.contains("isRegex") || !m["isRegex"].is_boolean() ||
        (m.contains("isEqual") && !m["isEqual"].is_boolean())) {
      return absl::InvalidArgumentError(
          "each matcher needs name and value (strings) and isRegex (and optional isEqual) "
          "(booleans)");
    }
    const bool regex = m["isRegex"].get<bool>();
    const bool equal = m.value("isEqual", true);
    const std::string name = m["name"].get<std::string>();
    if (!labels::IsValidLabelName(name)) {
      return absl::InvalidArgumentError(StrCat("invalid label name \"", name, "\""));
    }
    const labels::MatchType type =
        regex ? (equal ? labels::MatchType::kRegex : labels::MatchType::kNotRegex)
              : (equal ? labels::MatchType::kEqual : labels::MatchType::kNotEqual);
    auto matcher = labels::Matcher::Create(type, name, m["value"].get<std::string>());
    if (!matcher.ok()) return matcher.status();
    s.matchers.push_back(std::move(*matcher));
  }
  return s;
}

std::string NewSilenceId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = (rng() & ~0xf000ULL) | 0x4000ULL;            // version 4
  const uint64_t lo = (rng() & ~(0x3ULL << 62)) | (0x2ULL << 62);  // variant 1
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

absl::StatusOr<std::vector<Silence>> Silences::PlanSet(Silence s, TimestampMs now) const {
  if (s.matchers.empty()) return absl::InvalidArgumentError("at least one matcher required");
  if (std::all_of(s.matchers.begin(), s.matchers.end(),
                  [](const labels::Matcher& m) { return m.MatchesValue(""); })) {
    return absl::InvalidArgumentError("at least one matcher must not match the empty string");
  }
  if (s.ends_at_ms <= s.starts_at_ms) {
    return absl::InvalidArgumentError("start time must be before end time");
  }
  if (s.ends_at_ms < now) return absl::InvalidArgumentError("end time can't be in the past");
  if (s.starts_at_ms < now) s.starts_at_ms = now;
  s.updated_at_ms = now;
  std::vector<Silence> out;
  if (!s.id.empty()) {
    auto it = silences_.find(s.id);
    if (it == silences_.end()) {
      return absl::NotFoundError(StrCat("silence ", s.id, " not found"));
    }
    const Silence& old = it->second;
    auto same = [](const std::vector<labels::Matcher>& a, const std::vector<labels::Matcher>& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].ToString() != b[i].ToString()) return false;
      }
      return true;
    };
    if (old.State(now) != "expired" && same(old.matchers, s.matchers)) {
      // In place; an active silence keeps its start.
      if (old.Active(now)) s.starts_at_ms = old.starts_at_ms;
      out.push_back(std::move(s));
      return out;
    }
    if (old.State(now) != "expired") out.push_back(*PlanExpire(old.id, now));
  }
  s.id = NewSilenceId();
  out.push_back(std::move(s));
  return out;
}

absl::StatusOr<Silence> Silences::PlanExpire(const std::string& id, TimestampMs now) const {
  auto it = silences_.find(id);
  if (it == silences_.end()) return absl::NotFoundError(StrCat("silence ", id, " not found"));
  Silence s = it->second;
  if (s.State(now) == "expired") {
    return absl::FailedPreconditionError(StrCat("silence ", id, " already expired"));
  }
  // A pending silence ends where it would have started.
  if (now < s.starts_at_ms) s.starts_at_ms = now;
  s.ends_at_ms = now;
  s.updated_at_ms = now;
  return s;
}

bool Silences::Take(Silence s) {
  auto [it, inserted] = silences_.try_emplace(s.id);
  // Equal times: the later change (two within one millisecond) wins.
  if (!inserted && it->second.updated_at_ms > s.updated_at_ms) return false;
  it->second = std::move(s);
  return true;
}

absl::StatusOr<Silence> Silences::Set(Silence s, TimestampMs now) {
  auto plan = PlanSet(std::move(s), now);
  if (!plan.ok()) return plan.status();
  for (const Silence& changed : *plan) Take(changed);
  return plan->back();
}

absl::StatusOr<Silence> Silences::Expire(const std::string& id, TimestampMs now) {
  auto expired = PlanExpire(id, now);
  if (expired.ok()) Take(*expired);
  return expired;
}

const Silence* Silences::Get(const std::string& id) const {
  auto it = silences_.find(id);
  return it == silences_.end() ? nullptr : &it->second;
}

std::vector<Silence> Silences::List() const {
  std::vector<Silence> out;
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> Silences::Mutes(const labels::Labels& ls, TimestampMs now) const {
  std::vector<std::string> out;
  for (const auto& [id, s] : silences_) {
    if (s.Active(now) && s.Matches(ls)) out.push_back(id);
  }
  return out;
}

size_t Silences::GC(TimestampMs cutoff) {
  size_t n = 0;
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at_ms < cutoff) {
      silences_.erase(it++);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace vigil::notifier
