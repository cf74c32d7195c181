#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/labels/labels.h"
#include "lib/promql/engine.h"

namespace vigil::rules {

// Runs a PromQL instant query, given as text, at the alert's evaluation time: what the
// template function `query` calls. Prometheus hands templates the rule's query function.
using TemplateQueryFunc = std::function<absl::StatusOr<promql::Vector>(std::string_view)>;

// What a rule's label and annotation templates can see (Prometheus template data).
struct TemplateData {
  const labels::Labels* labels;
  double value;
  const labels::Labels* external_labels;
  std::string_view external_url = {};  // {{ $externalURL }}, {{ .ExternalURL }}
  TemplateQueryFunc query = nullptr;   // null: `query` fails with an error
};

// Expands `text` the way Prometheus 2.42 expands an alert's labels and annotations: the
// text is a Go text/template, prefixed with Prometheus's convenience definitions ($labels,
// $externalLabels, $externalURL, $value), run with Prometheus's functions (query, first,
// value, label, sortByLabel, humanize*, printf, match, reReplaceAll, ...; see
// lib/rules/template_funcs.cc). A template that fails to parse or execute yields
// Prometheus's text in place of the result: "<error expanding template: ...>".
std::string ExpandTemplate(std::string_view name, std::string_view text, const TemplateData& data);

// Parses `text` as ExpandTemplate would (Prometheus's rule-file check of templates).
// Errors read "template: NAME:LINE: ...".
absl::Status CheckTemplate(std::string_view name, std::string_view text);

// Go's fmt %v for a float64 ("1.234567e+06", "0.5", "NaN", "+Inf").
std::string FormatGoFloat(double v);

}  // namespace vigil::rules
