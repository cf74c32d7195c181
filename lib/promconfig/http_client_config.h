#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"

namespace vigil::promconfig {

// tls_config of a scrape config (prometheus/common v0.39 config.TLSConfig, the version
// Prometheus 2.42 ships; it has no inline ca/cert/key yet). Paths are made absolute
// against the config's directory; the files are read on every scrape, so renewed
// certificates are picked up without a reload, as Prometheus's TLS round tripper does.
struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  // SNI and the name the server certificate must carry
  bool insecure_skip_verify = false;
  // Go's tls.VersionTLS1x numbers (0x0301..0x0304); 0 when unset. Unset min_version is
  // TLS 1.2, Go's client default.
  int min_version = 0;
  int max_version = 0;
};

// The HTTP client part of a scrape config (prometheus/common config.HTTPClientConfig):
// basic_auth, authorization (legacy bearer_token/bearer_token_file become an
// authorization of type Bearer, as Prometheus converts them) and tls_config. Files are
// made absolute against the config's directory and read on every scrape, as Prometheus
// does; credentials files are trimmed of surrounding whitespace.
struct HttpClientConfig {
  bool basic_auth = false;
  std::string username;
  std::string password;
  std::string password_file;
  bool authorization = false;
  std::string auth_type = "Bearer";
  std::string credentials;
  std::string credentials_file;
  TlsConfig tls;
};

// Reads the HTTP client keys of scrape config `n` (the mapping itself: Go inlines
// HTTPClientConfig into ScrapeConfig) and applies HTTPClientConfig.Validate's checks in
// Go's order, with Go's messages, at the position of the offending section.
// Relative file names are resolved against `dir`.
absl::Status ParseHttpClientConfig(const std::string& file, const std::string& dir,
                                   const YAML::Node& n, HttpClientConfig* out);

// Go's TLS version names: "TLS10".."TLS13" -> 0x0301..0x0304; 0 when unknown.
int TlsVersionFromName(std::string_view name);

}  // namespace vigil::promconfig
