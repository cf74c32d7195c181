#include "services/notifier/integrations.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "lib/base/format.h"

namespace vigil::notifier {

namespace {

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() < 1024) body->append(data, std::min(size * n, 1024 - body->size()));
  return size * n;
}

}  // namespace

SendResult SendWebhook(const std::string& url, const std::string& body,
                       const std::string& idempotency_key, absl::Duration timeout) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {false, true, "cannot create a curl handle"};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, StrCat("Idempotency-Key: ", idempotency_key).c_str());
  headers = curl_slist_append(headers, "User-Agent: vigil-notifier");
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (rc != CURLE_OK) return {false, true, StrCat(url, ": ", curl_easy_strerror(rc))};
  if (code / 100 == 2) return {true, false, ""};
  // As Alertmanager's webhook: 5xx (and 429) may succeed later, other codes will not.
  const bool retry = code / 100 == 5 || code == 429;
  return {false, retry,
          StrCat("unexpected status code ", code, " from ", url, response.empty() ? "" : ": ",
                 response)};
}

SendResult AppendLine(const std::string& path, const std::string& body) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    // Create the file's directory on first use, as the file itself.
    std::error_code ec;
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && std::filesystem::create_directories(parent, ec)) {
      fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    } else {
      errno = ENOENT;
    }
  }
  if (fd < 0) return {false, true, StrCat("open ", path, ": ", std::strerror(errno))};
  std::string line = body + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = StrCat("write ", path, ": ", std::strerror(errno));
      ::close(fd);
      return {false, true, err};
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string err = StrCat("fsync ", path, ": ", std::strerror(errno));
    ::close(fd);
    return {false, true, err};
  }
  ::close(fd);
  return {true, false, ""};
}

SendResult Send(const Notification& n, absl::Duration timeout) {
  switch (n.integration.kind) {
    case Integration::Kind::kWebhook:
      return SendWebhook(n.integration.target, n.body, n.IdempotencyKey(), timeout);
    case Integration::Kind::kFile:
      return AppendLine(n.integration.target, n.body);
  }
  return {false, false, "unknown integration"};
}

}  // namespace vigil::notifier
