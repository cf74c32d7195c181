#include "services/collector/http_scraper.h"

#include <curl/curl.h>

#include <map>

#include "lib/base/format.h"
#include "services/collector/http_client_files.h"

namespace vigil::collector {
namespace {

constexpr size_t kMaxBodyBytes = 64 << 20;
}  // namespace

// Prometheus 2.42's Accept header (scrape/scrape.go scrapeAcceptHeader).
const char kScrapeAcceptHeader[] =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

namespace {

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;  // server_name: connect to the target, verify the name
  std::string tls_url;               // the URL with server_name as host, for curl only
  std::string target_key;
  std::string url;
  TimestampMs started = 0;
  std::string body;
  uint64_t body_size_limit = 0;  // configured; 0: only kMaxBodyBytes
  std::string user;  // basic_auth; curl keeps pointers to these
  std::string password;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {0};  // curl's detailed reason (certificate problems...)
};

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  // Prometheus reads at most body_size_limit bytes and fails when it got that many.
  if ((t->body_size_limit > 0 && t->body.size() + len >= t->body_size_limit) ||
      t->body.size() + len > kMaxBodyBytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, len);
  return len;
}

const char* Reason(long code) {
  switch (code) {
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace

std::string HttpStatusError(long code) {
  std::string reason = Reason(code);
  return reason.empty() ? StrCat("server returned HTTP status ", code)
                        : StrCat("server returned HTTP status ", code, " ", reason);
}

struct HttpScraper::Impl {
  CURLM* multi = nullptr;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers;
  std::vector<Completed> failed;  // scrapes that failed before reaching the network
};

namespace {

void SetBlob(CURL* e, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};  // curl copies
  curl_easy_setopt(e, option, &blob);
}

long CurlTlsVersion(int go_version, bool max) {
  switch (go_version) {
    case 0x0301: return max ? CURL_SSLVERSION_MAX_TLSv1_0 : CURL_SSLVERSION_TLSv1_0;
    case 0x0302: return max ? CURL_SSLVERSION_MAX_TLSv1_1 : CURL_SSLVERSION_TLSv1_1;
    case 0x0303: return max ? CURL_SSLVERSION_MAX_TLSv1_2 : CURL_SSLVERSION_TLSv1_2;
    case 0x0304: return max ? CURL_SSLVERSION_MAX_TLSv1_3 : CURL_SSLVERSION_TLSv1_3;
    default: return max ? CURL_SSLVERSION_MAX_DEFAULT : CURL_SSLVERSION_TLSv1_2;  // Go's
  }
}

// tls_config as Go's crypto/tls client applies it. server_name changes only the name sent
// as SNI and checked in the certificate, not where we connect nor the Host header: curl
// has no such option, so the URL it sees carries server_name and CURLOPT_CONNECT_TO sends
// the connection to the target's address.
void ApplyTls(const promconfig::TlsConfig& cfg, const TlsMaterial& files, Transfer* t) {
  CURL* e = t->easy;
  if (!files.ca.empty()) SetBlob(e, CURLOPT_CAINFO_BLOB, files.ca);
  if (!files.cert.empty()) {
    SetBlob(e, CURLOPT_SSLCERT_BLOB, files.cert);
    SetBlob(e, CURLOPT_SSLKEY_BLOB, files.key);
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (cfg.insecure_skip_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(e, CURLOPT_SSLVERSION,
                   CurlTlsVersion(cfg.min_version, false) | CurlTlsVersion(cfg.max_version, true));
  constexpr std::string_view kHttps = "https://";
  if (cfg.server_name.empty() || t->url.compare(0, kHttps.size(), kHttps) != 0) return;
  size_t host_end = t->url.find('/', kHttps.size());
  if (host_end == std::string::npos) host_end = t->url.size();
  std::string host_port = t->url.substr(kHttps.size(), host_end - kHttps.size());
  size_t colon = host_port.rfind(':');
  bool has_port = colon != std::string::npos && host_port.find(']', colon) == std::string::npos;
  std::string host = has_port ? host_port.substr(0, colon) : host_port;
  std::string port = has_port ? host_port.substr(colon + 1) : "443";
  t->tls_url = StrCat(kHttps, cfg.server_name, ":", port, t->url.substr(host_end));
  t->connect_to = curl_slist_append(nullptr, StrCat(cfg.server_name, ":", port, ":", host, ":", port).c_str());
  t->headers = curl_slist_append(t->headers, StrCat("Host: ", host_port).c_str());
  curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);
  curl_easy_setopt(e, CURLOPT_URL, t->tls_url.c_str());
}

}  // namespace

namespace {

// curl's reason for a failed transfer, in Go's words where Prometheus users know them.
std::string TransferError(CURL* e, CURLcode code, const char* detail) {
  if (code == CURLE_PEER_FAILED_VERIFICATION) {
    long verify = 0;
    curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &verify);
    // OpenSSL's X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, _SELF_SIGNED_CERT_IN_CHAIN,
    // _UNABLE_TO_GET_ISSUER_CERT_LOCALLY, _UNABLE_TO_VERIFY_LEAF_SIGNATURE: no trusted root.
    if (verify == 18 || verify == 19 || verify == 20 || verify == 21)
      return "x509: certificate signed by unknown authority";
  }
  return detail[0] != '\0' ? detail : curl_easy_strerror(code);
}

}  // namespace

HttpScraper::HttpScraper() : impl_(std::make_unique<Impl>()) {
  static const bool global_init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)global_init;
  impl_->multi = curl_multi_init();
}

HttpScraper::~HttpScraper() {
  for (auto& [easy, t] : impl_->transfers) {
    curl_multi_remove_handle(impl_->multi, easy);
    curl_easy_cleanup(easy);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->connect_to);
  }
  curl_multi_cleanup(impl_->multi);
}

void HttpScraper::Start(const ScrapeRequest& request, TimestampMs started) {
  std::string user, password, authorization;
  TlsMaterial tls;
  if (const promconfig::HttpClientConfig* h = request.http.get()) {
    absl::Status err;
    if (h->basic_auth) {
      user = h->username;
      password = h->password;
      if (!h->password_file.empty()) {
        auto p = ReadSecretFile(h->password_file, "basic auth password");
        if (p.ok()) password = *p; else err = p.status();
      }
    }
    if (h->authorization) {
      std::string credentials = h->credentials;
      if (!h->credentials_file.empty()) {
        auto c = ReadSecretFile(h->credentials_file, "authorization credentials");
        if (c.ok()) credentials = *c; else err = c.status();
      }
      authorization = StrCat("Authorization: ", h->auth_type, " ", credentials);
    }
    if (err.ok()) {
      auto files = ReadTlsFiles(h->tls);
      if (files.ok()) tls = std::move(*files); else err = files.status();
    }
    if (!err.ok()) {
      Completed c{request.target_key, started, {}};
      c.result.error = StrCat("Get \"", request.url, "\": ", err.message());
      impl_->failed.push_back(std::move(c));
      return;
    }
  }
  auto t = std::make_unique<Transfer>();
  t->easy = curl_easy_init();
  t->target_key = request.target_key;
  t->url = request.url;
  t->started = started;
  t->body_size_limit = request.body_size_limit;
  double timeout_s = absl::ToDoubleSeconds(request.timeout);
  t->headers = curl_slist_append(t->headers, StrCat("Accept: ", kScrapeAcceptHeader).c_str());
  t->headers = curl_slist_append(
      t->headers, StrCat("X-Prometheus-Scrape-Timeout-Seconds: ", timeout_s).c_str());
  if (!authorization.empty()) t->headers = curl_slist_append(t->headers, authorization.c_str());
  CURL* e = t->easy;
  if (request.http && request.http->basic_auth) {
    t->user = std::move(user);
    t->password = std::move(password);
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, t->user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, t->password.c_str());
  }
  if (request.http) ApplyTls(request.http->tls, tls, t.get());
  if (t->connect_to == nullptr) curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT,
                   "vigil-collector/"
                   "0.1");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_multi_add_handle(impl_->multi, e);
  impl_->transfers.emplace(e, std::move(t));
}

void HttpScraper::Wait(int timeout_ms, int wake_fd) {
  if (!impl_->failed.empty()) return;  // ready to Collect now
  curl_waitfd extra{wake_fd, CURL_WAIT_POLLIN, 0};
  int numfds = 0;
  curl_multi_poll(impl_->multi, &extra, 1, timeout_ms, &numfds);
}

std::vector<HttpScraper::Completed> HttpScraper::Collect() {
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  std::vector<Completed> out = std::move(impl_->failed);
  impl_->failed.clear();
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(impl_->multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    auto it = impl_->transfers.find(e);
    if (it == impl_->transfers.end()) continue;
    Transfer& t = *it->second;
    Completed c{t.target_key, t.started, {}};
    curl_off_t total_us = 0;
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total_us);
    c.result.duration_seconds = static_cast<double>(total_us) / 1e6;
    if (msg->data.result != CURLE_OK) {
      if (t.too_large) {
        c.result.error = t.body_size_limit > 0
                             ? std::string("body size limit exceeded")
                             : StrCat("body size limit exceeded (", kMaxBodyBytes, " bytes)");
      } else if (msg->data.result == CURLE_OPERATION_TIMEDOUT) {
        c.result.error = StrCat("Get \"", t.url, "\": context deadline exceeded");
      } else {
        c.result.error = StrCat("Get \"", t.url, "\": ", TransferError(e, msg->data.result, t.error));
      }
    } else {
      long code = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      if (code != 200) {
        c.result.error = HttpStatusError(code);
      } else {
        c.result.body = std::move(t.body);
        char* content_type = nullptr;
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &content_type);
        if (content_type != nullptr) c.result.content_type = content_type;
      }
    }
    out.push_back(std::move(c));
    curl_multi_remove_handle(impl_->multi, e);
    curl_easy_cleanup(e);
    curl_slist_free_all(t.headers);
    curl_slist_free_all(t.connect_to);
    impl_->transfers.erase(it);
  }
  return out;
}

size_t HttpScraper::in_flight() const { return impl_->transfers.size() + impl_->failed.size(); }

}  // namespace vigil::collector
