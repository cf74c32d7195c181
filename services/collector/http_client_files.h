#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/promconfig/http_client_config.h"

namespace vigil::collector {

// The files a scrape config names, read at scrape time as Prometheus reads them on every
// request: rotated secrets and renewed certificates apply without a reload.

// A credentials file's content, trimmed of surrounding whitespace.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view what);

// The PEM blobs of a tls_config; empty when the config names no such file.
struct TlsMaterial {
  std::string ca;
  std::string cert;
  std::string key;
};

// Reads the CA, client certificate and key with prometheus/common's error texts:
// "unable to load specified CA cert F: ...", "unable to use specified CA cert F" (no
// certificate in it), "unable to use specified client cert (C) & key (K): ...".
absl::StatusOr<TlsMaterial> ReadTlsFiles(const promconfig::TlsConfig& tls);

}  // namespace vigil::collector
