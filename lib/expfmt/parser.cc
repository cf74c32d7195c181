#include "lib/expfmt/parser.h"

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/expfmt/openmetrics_parser.h"
#include "lib/expfmt/text_parser.h"

namespace vigil::expfmt {

std::string_view MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      return "untyped";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kStateset:
      return "stateset";
    case MetricType::kInfo:
      return "info";
    case MetricType::kUnknown:
      break;
  }
  return "unknown";
}

labels::Labels Parser::Labels() const {
  std::vector<labels::Label> all = series_labels();
  all.push_back(labels::Label{std::string(labels::kMetricName), std::string(name_)});
  return labels::Labels(std::move(all));
}

Format FormatFromContentType(std::string_view content_type) {
  // The media type is what precedes the parameters; Go's mime.ParseMediaType lower-cases it.
  std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(media)));
  return type == "application/openmetrics-text" ? Format::kOpenMetrics : Format::kText;
}

std::unique_ptr<Parser> NewParser(std::string_view input, std::string_view content_type) {
  if (FormatFromContentType(content_type) == Format::kOpenMetrics) {
    return std::make_unique<OpenMetricsParser>(input);
  }
  return std::make_unique<TextParser>(input);
}

}  // namespace vigil::expfmt
