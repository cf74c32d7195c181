// Any body POSTed to the notifier's /api/v2/alerts: parsed into alerts or rejected with
// an InvalidArgument message, never a crash or a hang; what is accepted is well formed.
// The JSON reader under it is checked against nlohmann::json: whatever nlohmann reads
// (valid UTF-8, paired surrogates) it reads too, with the same strings in the same order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "services/notifier/json_reader.h"
#include "services/notifier/postable_alerts.h"

namespace {

using Json = nlohmann::json;

// Both readers' events as one text; numbers only as "n" (their texts are not compared).
class Ours final : public vigil::notifier::JsonEvents {
 public:
  std::string out;
  bool Null() override { return Add("z"); }
  bool Boolean(bool b) override { return Add(b ? "t" : "f"); }
  bool Number(std::string_view) override { return Add("n"); }
  bool String(std::string& s) override { return Add("s" + std::to_string(s.size()) + ":" + s); }
  bool Key(std::string& k) override { return Add("k" + std::to_string(k.size()) + ":" + k); }
  bool StartObject() override { return Add("{"); }
  bool EndObject() override { return Add("}"); }
  bool StartArray() override { return Add("["); }
  bool EndArray() override { return Add("]"); }
  bool Add(const std::string& s) {
    out += s;
    out += ' ';
    return true;
  }
};

struct Theirs {
  Ours rec;
  bool null() { return rec.Null(); }
  bool boolean(bool b) { return rec.Boolean(b); }
  bool number_integer(Json::number_integer_t) { return rec.Number(""); }
  bool number_unsigned(Json::number_unsigned_t) { return rec.Number(""); }
  bool number_float(Json::number_float_t, const Json::string_t&) { return rec.Number(""); }
  bool string(Json::string_t& s) { return rec.String(s); }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) { return rec.StartObject(); }
  bool key(Json::string_t& k) { return rec.Key(k); }
  bool end_object() { return rec.EndObject(); }
  bool start_array(std::size_t) { return rec.StartArray(); }
  bool end_array() { return rec.EndArray(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr vigil::TimestampMs kNow = 1'700'000'000'000;
  std::string_view body(reinterpret_cast<const char*>(data), size);

  Ours ours;
  const bool ours_ok = vigil::notifier::ReadJson(body, &ours);
  Theirs theirs;
  const bool theirs_ok = Json::sax_parse(body.begin(), body.end(), &theirs);
  // nlohmann has no depth limit (inputs this small cannot reach Go's 10000 levels), and
  // takes a NUL byte for the end of the text (Go, and ReadJson, reject it).
  if (theirs_ok && size < vigil::notifier::kMaxJsonDepth &&
      body.find('\0') == std::string_view::npos) {
    if (!ours_ok || ours.out != theirs.rec.out) std::abort();
  }

  auto posted = vigil::notifier::ParsePostableAlerts(body, kNow);
  if (!posted.ok()) {
    // The refusals PostableAlertsRefusal answers: a body that does not decode, a value not
    // of its format (a generatorURL that is not a URI), a required value missing.
    const absl::Status& s = posted.status();
    if (!absl::IsInvalidArgument(s) && !absl::IsOutOfRange(s) && !absl::IsFailedPrecondition(s))
      std::abort();
    return 0;
  }
  if (!ours_ok) std::abort();
  for (const vigil::notifier::Alert& a : posted->alerts) {
    if (a.labels.empty() || a.fingerprint != a.labels.Fingerprint()) std::abort();
    if (a.ends_at_ms != 0 && a.ends_at_ms < a.starts_at_ms) std::abort();
    for (const vigil::labels::LabelView& l : a.labels) {
      if (!vigil::labels::IsValidLabelName(l.name)) std::abort();
    }
  }
  return 0;
}
