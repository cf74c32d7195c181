// Bytes on the bus per scrape: vigil's symbol-table SampleBatch vs the same samples with
// plain repeated Label pairs per series. Input: an exposition file (default: Prometheus's
// own parser test data, ../shared/conformance/textparse-2.42/promtestdata.txt).
//
//   build/bin/label_encoding_size [FILE] [--targets N]

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/codec/samples.h"
#include "lib/expfmt/text_parser.h"
#include "vigil/v1/alerts.pb.h"

int main(int argc, char** argv) {
  std::string path = "../shared/conformance/textparse-2.42/promtestdata.txt";
  int targets = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--targets") == 0 && i + 1 < argc) targets = std::atoi(argv[++i]);
    else path = argv[i];
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto samples = vigil::expfmt::ParseAll(ss.str());
  if (!samples.ok()) {
    std::fprintf(stderr, "%s\n", std::string(samples.status().message()).c_str());
    return 1;
  }
  size_t compact = 0, plain = 0, series = 0;
  for (int t = 0; t < targets; ++t) {
    vigil::codec::SampleBatchBuilder builder;
    vigil::v1::AlertBatch naive;  // AlertEvent.labels is a plain repeated Label
    std::string instance = "10.0.0." + std::to_string(t) + ":9100";
    for (const auto& s : *samples) {
      auto ls = s.labels.With("job", "node").With("instance", instance);
      builder.Add(ls, 1700000000000, s.value);
      auto* e = naive.add_alerts();
      vigil::codec::ToProto(ls, e->mutable_labels());
      e->set_value(s.value);
      e->set_event_time_ms(1700000000000);
      ++series;
    }
    compact += builder.Take().ByteSizeLong();
    plain += naive.ByteSizeLong();
  }
  std::printf("input: %s (%zu series x %d targets)\n", path.c_str(), samples->size(), targets);
  std::printf("symbol-table SampleBatch: %zu bytes (%.1f bytes/series)\n", compact,
              static_cast<double>(compact) / series);
  std::printf("plain repeated Label:     %zu bytes (%.1f bytes/series)\n", plain,
              static_cast<double>(plain) / series);
  std::printf("ratio: %.2fx smaller\n", static_cast<double>(plain) / compact);
  return 0;
}
