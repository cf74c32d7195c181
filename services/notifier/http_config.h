#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lib/promconfig/http_client_config.h"

namespace vigil::notifier {

using promconfig::TlsConfig;

// An `http_config` of a receiver or of `global` (prometheus/common HTTPClientConfig):
// the scrape configs' basic_auth, authorization (legacy bearer_token(_file) folded in) and
// tls_config, plus follow_redirects and proxy_url. Secret and certificate files are read
// on every request, as Alertmanager does, so rotating them needs no reload.
struct HttpClientConfig : promconfig::HttpClientConfig {
  bool follow_redirects = true;
  std::string proxy_url;  // empty: none (libcurl's proxy environment variables are ignored)
};

// Parses `node` (the http_config mapping) into *out with common's strict keys and
// Validate() checks, making file paths absolute against `dir` (the config file's
// directory), as Alertmanager's SetDirectory does. oauth2 is refused: vigil does not
// implement it. enable_http2 is accepted and ignored.
absl::Status ParseHttpConfig(std::string_view file, std::string_view dir, const YAML::Node& node,
                             HttpClientConfig* out);

}  // namespace vigil::notifier
