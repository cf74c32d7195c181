#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notifier/http_config.h"
#include "services/notifier/inhibit.h"
#include "services/notifier/receiver.h"
#include "services/notifier/route.h"
#include "services/notifier/time_interval.h"

namespace vigil::notifier {

// The notifier's configuration: the subset of Alertmanager's alertmanager.yml it supports
// (global.resolve_timeout, the route tree, inhibit_rules, time_intervals, receivers with
// webhook_configs)
// plus vigil's file_configs. Parsing is strict: unknown keys, bad values and routes naming
// undefined receivers are errors reading "file:line:col: what".
struct Config {
  absl::Duration resolve_timeout = absl::Minutes(5);
  std::unique_ptr<Route> route;  // never null in a parsed config
  std::vector<Receiver> receivers;
  std::vector<InhibitRule> inhibit_rules;
  TimeIntervals time_intervals;  // `time_intervals` and the older `mute_time_intervals`
  std::string original;          // the file's text, for /api/v2/status
  // global.http_config: what webhook and alertmanager configs without their own use.
  std::shared_ptr<const HttpClientConfig> global_http;
  // `templates` globs, absolute. Validated by CheckTemplates; vigil's payloads use none.
  std::vector<std::string> templates;

  // nullptr when not defined.
  const Receiver* FindReceiver(std::string_view name) const;
};

// Parses the file and checks its templates (CheckTemplates), as Alertmanager does on load.
absl::StatusOr<Config> LoadConfig(const std::string& path);
// Parses the file only: what `amtool check-config` reports before the templates.
absl::StatusOr<Config> ParseConfigFile(const std::string& path);
// `file` names the source in error messages.
absl::StatusOr<Config> ParseConfig(std::string_view file, const std::string& text);

// Expands the template globs (no match is fine) and parses each file as a Go text/template
// set would; the first error reads like Alertmanager's, e.g.
// "template: x.tmpl:3: unexpected EOF". A bad glob pattern is "syntax error in pattern".
absl::Status CheckTemplates(const std::vector<std::string>& globs);

}  // namespace vigil::notifier
