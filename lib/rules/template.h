#pragma once

#include <string>
#include <string_view>

#include "lib/labels/labels.h"

namespace vigil::rules {

// What a rule's label and annotation templates can see (Prometheus template data).
struct TemplateData {
  const labels::Labels* labels;
  double value;
  const labels::Labels* external_labels;
  std::string_view external_url = {};  // {{ $externalURL }}, {{ .ExternalURL }}
};

// Expands Go-template actions in `text` the way Prometheus expands alert labels and
// annotations. Supported in this version: {{ $labels.name }}, {{ .Labels.name }},
// {{ $value }}, {{ .Value }}, {{ $externalLabels.name }}, {{ $externalURL }}, string and number
// literals, the functions printf, humanize, humanize1024, humanizeDuration, humanizePercentage
// (called or piped: `printf "%.2f" $value`, `$value | humanizePercentage`), and
// {{ if }}/{{ else }}/{{ end }} on one operand or a comparison (gt, lt, ge, le, eq, ne).
// An action outside that subset yields Prometheus's error text in place of the result:
// "<error expanding template: ...>".
std::string ExpandTemplate(std::string_view name, std::string_view text, const TemplateData& data);

// Go's fmt %v for a float64 ("1.234567e+06", "0.5", "NaN", "+Inf").
std::string FormatGoFloat(double v);

}  // namespace vigil::rules
