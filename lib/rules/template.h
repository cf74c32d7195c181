#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"
#include "lib/promql/engine.h"

namespace vigil::rules {

namespace tmpl {
struct Template;
}

// Runs a PromQL instant query, given as text, at the alert's evaluation time: what the
// template function `query` calls. Prometheus hands templates the rule's query function.
using TemplateQueryFunc = std::function<absl::StatusOr<promql::Vector>(std::string_view)>;

// What a rule's label and annotation templates can see (Prometheus template data).
struct TemplateData {
  const labels::Labels* labels;
  double value;
  const labels::Labels* external_labels;
  std::string_view external_url = {};  // {{ $externalURL }}, {{ .ExternalURL }}
  const TemplateQueryFunc* query = nullptr;  // null: `query` fails with an error
};

// Expands `text` the way Prometheus 2.42 expands an alert's labels and annotations: the
// text is a Go text/template, prefixed with Prometheus's convenience definitions ($labels,
// $externalLabels, $externalURL, $value), run with Prometheus's functions (query, first,
// value, label, sortByLabel, humanize*, printf, match, reReplaceAll, ...; see
// lib/rules/template_funcs.cc). A template that fails to parse or execute yields
// Prometheus's text in place of the result: "<error expanding template: ...>".
std::string ExpandTemplate(std::string_view name, std::string_view text, const TemplateData& data);

// A label or annotation template parsed once and expanded for every alert (Prometheus
// parses it again at each expansion; the result is the same, ~5x slower). Immutable, so it
// may be shared between threads.
class CompiledTemplate {
 public:
  CompiledTemplate(std::string_view name, std::string_view text);
  std::string Expand(const TemplateData& data) const;

 private:
  std::string name_;
  std::string text_;                              // returned as is when it has no actions
  std::shared_ptr<const tmpl::Template> parsed_;  // null: no actions, or a parse error
  std::string parse_error_;                       // the expansion of a template that fails
};

// Parses `text` as ExpandTemplate would (Prometheus's rule-file check of templates).
// Errors read "template: NAME:LINE: ...".
absl::Status CheckTemplate(std::string_view name, std::string_view text);

// Go's fmt %v for a float64 ("1.234567e+06", "0.5", "NaN", "+Inf").
std::string FormatGoFloat(double v);

}  // namespace vigil::rules
