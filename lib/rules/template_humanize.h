#pragma once

#include <string>

namespace vigil::rules::tmpl {

// Prometheus 2.42's humanize functions (template/template.go), to the last digit: Go's
// %.4g with SI prefixes, binary prefixes, and "1d 2h 3m 4s" durations.
std::string Humanize(double v);
std::string Humanize1024(double v);
std::string HumanizeDuration(double v);

}  // namespace vigil::rules::tmpl
