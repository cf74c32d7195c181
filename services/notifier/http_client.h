#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "absl/status/statusor.h"
#include "services/notifier/http_config.h"
#include "services/notifier/plain_http.h"

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

// Where PlainPost sends a POST to `url` under `http`, or nullopt when libcurl must send it
// (not an http:// URL that ParsePlainHttpUrl takes, or a proxy configured). The one test
// of "plain HTTP": PreparePost and the delivery lanes both ask it, so that a lane run by
// PlainHttpMulti never gets a request only libcurl can send.
std::optional<PlainHttpTarget> PlainHttpTargetFor(std::string_view url,
                                                  const HttpClientConfig& http);

// PostJson in steps, for a caller that sends the plain-HTTP form itself (the delivery
// lanes' PlainHttpMulti): PreparePost reads the secrets and builds the header lines;
// the plain form goes out as `plain_lines` to `plain`; PlainOutcome judges its answer
// (nullopt: a redirect to follow, which CurlPost sends again); CurlPost sends anything
// else through libcurl (blocking).
struct PreparedPost {
  std::optional<SendResult> failed;  // the request cannot be made: this is its result
  std::string url;                   // as configured; errors name it
  std::string curl_url;              // with tls_config.server_name applied
  std::string host_header;           // libcurl: set when server_name overrides the host
  std::string connect_to;
  std::string user, password;        // basic auth
  std::vector<std::string> lines;    // "Name: value", without basic auth (libcurl adds it)
  std::optional<PlainHttpTarget> plain;  // PlainHttpTargetFor: the plain client can send it
  std::vector<std::string> plain_lines;  // `lines` with basic auth, for the plain client
};
PreparedPost PreparePost(const std::string& url, const std::vector<std::string>& headers,
                         const HttpClientConfig& http);
std::optional<SendResult> PlainOutcome(const PreparedPost& post,
                                       const absl::StatusOr<PlainHttpResponse>& response,
                                       const HttpClientConfig& http);
SendResult CurlPost(const PreparedPost& post, const std::string& body,
                    const HttpClientConfig& http, absl::Duration timeout);

}  // namespace vigil::notifier
