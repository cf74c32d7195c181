#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/bus/subscriber.h"
#include "lib/labels/matcher.h"

namespace vigil::cli {

struct TapOptions {
  std::vector<std::string> connect;  // bus endpoints
  std::vector<std::string> topics;   // prefixes; empty: everything
  std::string match;                 // a PromQL series selector, e.g. up{job="api"}
  std::string duration;              // stop after this long (Prometheus duration); empty: never
  int64_t count = 0;                 // stop after this many lines; 0: never
};

// Registers `vigil tap` on `app`.
CLI::App* AddTapCommand(CLI::App& app, TapOptions* options);

// `vigil tap`: prints what flows on bus endpoints until --duration, --count or Ctrl-C.
int RunTap(const TapOptions& options);

// Parses --match: the matchers of a PromQL series selector.
absl::StatusOr<std::vector<labels::Matcher>> ParseSeriesSelector(const std::string& selector);

// One bus message as lines: a SampleBatch as one sample a line in exposition form
// (`name{a="b"} value timestamp_ms`, a staleness marker printed as `stale`), keeping only
// series that match `matchers`; any other message as one JSON object
// {"topic", "publisher", "sequence", "type", "payload"}.
std::vector<std::string> FormatBusMessage(const bus::Message& message,
                                          const std::vector<labels::Matcher>& matchers);

}  // namespace vigil::cli
