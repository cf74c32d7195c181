#include "lib/rules/template.h"

#include <charconv>
#include <cmath>
#include <memory>

#include "lib/base/format.h"
#include "lib/rules/template_exec.h"
#include "lib/rules/template_parse.h"

namespace vigil::rules {
namespace {

// Prometheus rules/alerting.go prepends these to every label and annotation template.
constexpr std::string_view kDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

std::shared_ptr<const labels::Labels> Borrow(const labels::Labels* ls) {
  static const labels::Labels kEmpty;
  return std::shared_ptr<const labels::Labels>(std::shared_ptr<void>(), ls ? ls : &kEmpty);
}

}  // namespace

CompiledTemplate::CompiledTemplate(std::string_view name, std::string_view text)
    : name_(name), text_(text) {
  if (text_.find("{{") == std::string::npos) return;
  absl::StatusOr<tmpl::Template> t = tmpl::Parse(name, StrCat(kDefs, text));
  if (!t.ok()) {
    parse_error_ = StrCat("<error expanding template: error parsing template ", name, ": ",
                          t.status().message(), ">");
    return;
  }
  parsed_ = std::make_shared<const tmpl::Template>(*std::move(t));
}

std::string CompiledTemplate::Expand(const TemplateData& data) const {
  if (!parse_error_.empty()) return parse_error_;
  if (!parsed_) return text_;
  auto d = std::make_shared<tmpl::AlertData>();
  d->labels = Borrow(data.labels);
  d->external_labels = Borrow(data.external_labels);
  d->external_url = std::string(data.external_url);
  d->value = data.value;
  tmpl::Value dot;
  dot.kind = tmpl::Value::Kind::kData;
  dot.data = std::move(d);
  tmpl::ExecEnv env{data.query, std::string(data.external_url)};
  absl::StatusOr<std::string> out = tmpl::Execute(*parsed_, dot, env);
  if (!out.ok()) {
    return StrCat("<error expanding template: error executing template ", name_, ": ",
                  out.status().message(), ">");
  }
  return *std::move(out);
}

std::string ExpandTemplate(std::string_view name, std::string_view text, const TemplateData& data) {
  return CompiledTemplate(name, text).Expand(data);
}

absl::Status CheckTemplate(std::string_view name, std::string_view text) {
  if (text.find("{{") == std::string_view::npos) return absl::OkStatus();
  return tmpl::Parse(name, StrCat(kDefs, text)).status();
}

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

}  // namespace vigil::rules
