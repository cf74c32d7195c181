#include "services/collector/http_scraper.h"

#include <curl/curl.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"

#include "lib/base/format.h"

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
  std::string target_key;
  std::string url;
  TimestampMs started = 0;
  std::string body;
  uint64_t body_size_limit = 0;  // configured; 0: only kMaxBodyBytes
  std::string user;  // basic_auth; curl keeps pointers to these
  std::string password;
  bool too_large = false;
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

// A credentials file's content, trimmed, as Prometheus reads it on every request.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(StrCat("unable to read ", what, " file ", path));
  return std::string(absl::StripAsciiWhitespace(text.str()));
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
  }
  curl_multi_cleanup(impl_->multi);
}

void HttpScraper::Start(const ScrapeRequest& request, TimestampMs started) {
  std::string user, password, authorization;
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
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT,
                   "vigil-collector/"
                   "0.1");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
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
        c.result.error = StrCat("Get \"", t.url, "\": ", curl_easy_strerror(msg->data.result));
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
    impl_->transfers.erase(it);
  }
  return out;
}

size_t HttpScraper::in_flight() const { return impl_->transfers.size() + impl_->failed.size(); }

}  // namespace vigil::collector
