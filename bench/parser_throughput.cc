// Parser throughput of lib/expfmt (a measurement, not a test): MB/s and samples/s of the
// text 0.0.4 and OpenMetrics parsers over exposition files, e.g. the ones Prometheus 2.42
// benchmarks its own parsers with (model/textparse/promtestdata*.txt):
//
//   build/bin/bench_parser_throughput /work/shared/conformance/textparse-2.42 [--runs 9]
//
// Every *.txt file of the directory is read into memory once. Each run parses it
// repeatedly for at least 200 ms of this thread's CPU time; the figure is the median of the runs. Modes, as in
// Prometheus's BenchmarkParse: "series" walks entries and reads each sample's series text,
// value and timestamp (what a scrape with a warm cache needs); "labels" also builds every
// sample's label set (a cold scrape). "cached" is the text parser with the scrape cache's
// fast path: a lookup that knows every series text, so a line is checked for its value only.
// OpenMetrics input gets "# EOF\n" appended when the file lacks it (the text files do).

#include <dirent.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "lib/base/format.h"
#include "lib/expfmt/openmetrics_parser.h"
#include "lib/expfmt/text_parser.h"

namespace {

using vigil::expfmt::Entry;
using vigil::expfmt::Parser;

struct Pass {
  size_t samples = 0;
  std::string error;  // non-empty when the parser rejected the input
  double checksum = 0;  // keeps the work from being optimized away
};

enum class Mode { kSeries, kLabels, kCached };

Pass ParseOnce(Parser& p, Mode mode) {
  Pass out;
  while (true) {
    auto e = p.Next();
    if (!e.ok()) {
      out.error = std::string(e.status().message());
      return out;
    }
    if (*e == Entry::kEof) return out;
    if (*e != Entry::kSeries) continue;
    ++out.samples;
    out.checksum += p.value() + static_cast<double>(p.series_text().size());
    if (mode == Mode::kLabels) out.checksum += static_cast<double>(p.series_labels().size());
  }
}

std::unique_ptr<Parser> MakeParser(bool openmetrics, std::string_view input, Mode mode,
                                   const absl::flat_hash_set<std::string>* known) {
  if (openmetrics) return std::make_unique<vigil::expfmt::OpenMetricsParser>(input);
  auto p = std::make_unique<vigil::expfmt::TextParser>(input);
  if (mode == Mode::kCached) {
    p->set_series_lookup([known](std::string_view text) -> std::optional<int64_t> {
      if (known->contains(vigil::ToAbsl(text))) return 1;
      return std::nullopt;
    });
  }
  return p;
}

// This thread's CPU time: on a shared machine, time spent waiting for a core is not the
// parser's.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--runs N]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  int runs = 9;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
  }
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".txt") == 0) files.push_back(name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no *.txt files in %s\n", dir.c_str());
    return 1;
  }
  std::printf("| file | parser | mode | bytes | samples | MB/s | million samples/s |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const std::string& name : files) {
    std::string text = ReadFile(dir + "/" + name);
    std::string om = text;
    if (om.find("# EOF\n") == std::string::npos) om += "# EOF\n";
    // The series texts of the file, for the cached mode's lookup.
    absl::flat_hash_set<std::string> known;
    {
      vigil::expfmt::TextParser p(text);
      while (true) {
        auto e = p.Next();
        if (!e.ok() || *e == Entry::kEof) break;
        if (*e == Entry::kSeries) known.insert(std::string(p.series_text()));
      }
    }
    struct Case {
      const char* parser;
      bool openmetrics;
      Mode mode;
      const char* mode_name;
    };
    for (const Case& c : {Case{"text", false, Mode::kSeries, "series"},
                          Case{"text", false, Mode::kLabels, "labels"},
                          Case{"text", false, Mode::kCached, "cached"},
                          Case{"openmetrics", true, Mode::kSeries, "series"},
                          Case{"openmetrics", true, Mode::kLabels, "labels"}}) {
      const std::string& input = c.openmetrics ? om : text;
      Pass first;
      {
        auto p = MakeParser(c.openmetrics, input, c.mode, &known);
        first = ParseOnce(*p, c.mode);
      }
      if (!first.error.empty()) {
        std::printf("| %s | %s | %s | %zu | - | rejected: %s | |\n", name.c_str(), c.parser,
                    c.mode_name, input.size(), first.error.c_str());
        continue;
      }
      std::vector<double> seconds_per_parse;
      double sink = 0;
      for (int r = 0; r < runs; ++r) {
        double start = ThreadCpuSeconds();
        size_t parses = 0;
        double elapsed = 0;
        do {
          auto p = MakeParser(c.openmetrics, input, c.mode, &known);
          sink += ParseOnce(*p, c.mode).checksum;
          ++parses;
          elapsed = ThreadCpuSeconds() - start;
        } while (elapsed < 0.2);
        seconds_per_parse.push_back(elapsed / static_cast<double>(parses));
      }
      std::sort(seconds_per_parse.begin(), seconds_per_parse.end());
      double median = seconds_per_parse[seconds_per_parse.size() / 2];
      std::printf("| %s | %s | %s | %zu | %zu | %.0f | %.1f |\n", name.c_str(), c.parser,
                  c.mode_name, input.size(), first.samples,
                  static_cast<double>(input.size()) / median / 1e6,
                  static_cast<double>(first.samples) / median / 1e6);
      if (sink == 42.4242) std::printf("\n");  // uses the checksum
    }
  }
  return 0;
}
