#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/notifier/http_config.h"

namespace vigil::notifier {

// The outcome of one delivery attempt.
struct SendResult {
  bool ok = false;
  bool retry = false;  // worth trying again (network error, 5xx, 429, file I/O error)
  std::string error;
};

// POSTs `body` as application/json under an `http_config`: basic_auth or
// authorization (secret files read now), TLS (CA, client certificate, server_name,
// versions, insecure_skip_verify), redirects (as Go's client: at most 10; 301/302/303
// turn into GET, 307/308 keep the POST) and a proxy. `headers` are extra "Name: value"
// lines. A 2xx answer is success; 5xx and 429 are worth a retry, other codes are not.
// A plain http:// URL without a proxy is sent by PlainPost (plain_http.h), everything else
// (and a redirect to follow) by libcurl. Blocking: call from a delivery worker, never
// from the loop thread. Each thread keeps its connection open for its next request to the
// same server (keep-alive) when the server allows.
SendResult PostJson(const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers, const HttpClientConfig& http,
                    absl::Duration timeout);

}  // namespace vigil::notifier
