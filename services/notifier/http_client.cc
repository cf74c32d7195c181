#include "services/notifier/http_client.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "lib/base/format.h"
#include "services/notifier/plain_http.h"

namespace vigil::notifier {

namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() < 1024) body->append(data, std::min(size * n, 1024 - body->size()));
  return size * n;
}

// A secret file's content without surrounding whitespace, as common reads it per request.
absl::StatusOr<std::string> ReadSecret(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(StrCat("unable to read ", what, " file ", path));
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

// Go's version numbers (0x0301..0x0304, 0 unset) as libcurl's (whose minimum and maximum
// constants are two different enums).
long TlsVersion(int v, bool max) {
  struct Version {
    int go;
    long min, max;
  };
  static constexpr Version kVersions[] = {
      {0x0301, CURL_SSLVERSION_TLSv1_0, CURL_SSLVERSION_MAX_TLSv1_0},
      {0x0302, CURL_SSLVERSION_TLSv1_1, CURL_SSLVERSION_MAX_TLSv1_1},
      {0x0303, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
      {0x0304, CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3},
  };
  for (const Version& known : kVersions) {
    if (known.go == v) return max ? known.max : known.min;
  }
  // Go's client default minimum is TLS 1.2.
  return max ? static_cast<long>(CURL_SSLVERSION_MAX_DEFAULT)
             : static_cast<long>(CURL_SSLVERSION_TLSv1_2);
}

// tls_config.server_name: Go sends it as SNI and verifies the certificate against it while
// connecting to the URL's host. libcurl takes both from the URL, so the URL names the
// server and CONNECT_TO sends the connection to the original host; the Host header keeps
// the original value.
absl::Status ApplyServerName(const std::string& server_name, PreparedPost* r) {
  CURLU* u = curl_url();
  char* host = nullptr;
  char* port = nullptr;
  absl::Status status;
  if (curl_url_set(u, CURLUPART_URL, r->curl_url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    status = absl::InvalidArgumentError(StrCat("invalid URL ", r->curl_url));
  } else if (server_name != host) {
    char* explicit_port = nullptr;
    const bool has_port = curl_url_get(u, CURLUPART_PORT, &explicit_port, 0) == CURLUE_OK;
    r->host_header = StrCat("Host: ", host, has_port ? ":" : "", has_port ? explicit_port : "");
    curl_free(explicit_port);
    r->connect_to = StrCat(server_name, ":", port, ":", host, ":", port);
    char* rewritten = nullptr;
    curl_url_set(u, CURLUPART_HOST, server_name.c_str(), 0);
    curl_url_get(u, CURLUPART_URL, &rewritten, 0);
    r->curl_url = rewritten;
    curl_free(rewritten);
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return status;
}

// The calling thread's curl handle, kept between requests: curl_easy_reset clears the
// options but keeps the handle's open connections (HTTP keep-alive, TLS sessions) and DNS
// cache, so a delivery worker posting to the same receiver again reuses its connection.
CURL* ThreadHandle() {
  struct Handle {
    CURL* curl = curl_easy_init();
    ~Handle() {
      if (curl != nullptr) curl_easy_cleanup(curl);
    }
  };
  thread_local Handle handle;
  if (handle.curl != nullptr) curl_easy_reset(handle.curl);
  return handle.curl;
}

// A received answer's outcome.
SendResult Outcome(const std::string& url, int code, const std::string& body) {
  if (code / 100 == 2) return {true, false, ""};
  // As Alertmanager's webhook: 5xx (and 429) may succeed later, other codes will not.
  const bool retry = code / 100 == 5 || code == 429;
  return {false, retry,
          StrCat("unexpected status code ", code, " from ", url, body.empty() ? "" : ": ", body)};
}

}  // namespace

std::optional<PlainHttpTarget> PlainHttpTargetFor(std::string_view url,
                                                  const HttpClientConfig& http) {
  // The common case without libcurl: plain http, no proxy (see plain_http.h).
  if (!http.proxy_url.empty()) return std::nullopt;
  return ParsePlainHttpUrl(url);
}

PreparedPost PreparePost(const std::string& url, const std::vector<std::string>& headers,
                         const HttpClientConfig& http) {
  PreparedPost req;
  req.url = req.curl_url = url;
  auto fail = [&req](bool retry, std::string error) {
    req.failed = SendResult{false, retry, std::move(error)};
    return req;
  };
  std::string authorization;
  if (http.basic_auth) {
    req.user = http.username;
    req.password = http.password;
    if (!http.password_file.empty()) {
      auto p = ReadSecret(http.password_file, "basic auth password");
      if (!p.ok()) return fail(true, StrCat(url, ": ", p.status().message()));
      req.password = *p;
    }
  }
  if (http.authorization) {
    std::string credentials = http.credentials;
    if (!http.credentials_file.empty()) {
      auto c = ReadSecret(http.credentials_file, "authorization credentials");
      if (!c.ok()) return fail(true, StrCat(url, ": ", c.status().message()));
      credentials = *c;
    }
    authorization = StrCat("Authorization: ", http.auth_type, " ", credentials);
  }
  if (!http.tls.server_name.empty() && url.rfind("https://", 0) == 0) {
    if (auto s = ApplyServerName(http.tls.server_name, &req); !s.ok()) {
      return fail(false, std::string(s.message()));
    }
  }
  // A line break in a header value (a credentials file with one inside) would inject
  // headers: refused, as Go's client refuses it.
  if (authorization.find_first_of("\r\n") != std::string::npos) {
    return fail(false, StrCat(url, ": invalid header field value for \"Authorization\""));
  }
  // The request's headers, the same for both clients (libcurl's own default Accept too).
  req.lines = {"Content-Type: application/json", "User-Agent: vigil-notifier", "Accept: */*"};
  req.lines.insert(req.lines.end(), headers.begin(), headers.end());
  if (!authorization.empty()) req.lines.push_back(authorization);
  req.plain = PlainHttpTargetFor(url, http);
  if (req.plain) {
    req.plain_lines = req.lines;
    // libcurl writes basic auth itself (CURLOPT_USERNAME/PASSWORD).
    if (http.basic_auth) {
      req.plain_lines.push_back(StrCat("Authorization: Basic ",
                                       absl::Base64Escape(StrCat(req.user, ":", req.password))));
    }
  }
  return req;
}

std::optional<SendResult> PlainOutcome(const PreparedPost& post,
                                       const absl::StatusOr<PlainHttpResponse>& response,
                                       const HttpClientConfig& http) {
  if (!response.ok()) return SendResult{false, true, StrCat(post.url, ": ", response.status().message())};
  const int code = response->status;
  const bool redirect = (code == 301 || code == 302 || code == 303 || code == 307 ||
                         code == 308) && !response->location.empty();
  if (redirect && http.follow_redirects) return std::nullopt;
  return Outcome(post.url, code, response->body);
}

SendResult PostJson(const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers, const HttpClientConfig& http,
                    absl::Duration timeout) {
  PreparedPost post = PreparePost(url, headers, http);
  if (post.failed) return *post.failed;
  if (post.plain) {
    const absl::Time deadline = absl::Now() + timeout;
    auto response = PlainPost(*post.plain, post.plain_lines, body, timeout);
    if (std::optional<SendResult> done = PlainOutcome(post, response, http)) return *done;
    // A redirect to follow is sent again through libcurl, which follows it as Go's
    // client would, in the time left.
    timeout = std::max(deadline - absl::Now(), absl::Milliseconds(1));
  }
  return CurlPost(post, body, http, timeout);
}

SendResult CurlPost(const PreparedPost& req, const std::string& body,
                    const HttpClientConfig& http, absl::Duration timeout) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = ThreadHandle();
  if (curl == nullptr) return {false, true, "cannot create a curl handle"};
  curl_slist* list = nullptr;
  for (const std::string& h : req.lines) list = curl_slist_append(list, h.c_str());
  if (!req.host_header.empty()) list = curl_slist_append(list, req.host_header.c_str());
  curl_slist* connect_to = nullptr;
  if (!req.connect_to.empty()) {
    connect_to = curl_slist_append(connect_to, req.connect_to.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  }
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, req.curl_url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  if (http.basic_auth) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, req.password.c_str());
  }
  if (http.follow_redirects) {
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    // Credentials only go to the original host, as Go drops Authorization across hosts.
    curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
  }
  // Only the configured proxy: an empty string disables the *_proxy environment variables.
  curl_easy_setopt(curl, CURLOPT_PROXY, http.proxy_url.c_str());
  const TlsConfig& tls = http.tls;
  if (!tls.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                   TlsVersion(tls.min_version, false) | TlsVersion(tls.max_version, true));

  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(list);
  curl_slist_free_all(connect_to);

  if (rc != CURLE_OK) return {false, true, StrCat(req.url, ": ", curl_easy_strerror(rc))};
  return Outcome(req.url, static_cast<int>(code), response);
}

}  // namespace vigil::notifier
