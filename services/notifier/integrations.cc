#include "services/notifier/integrations.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "lib/base/format.h"

namespace vigil::notifier {

std::string PostableAlerts(const std::string& webhook_body) {
  const nlohmann::json payload = nlohmann::json::parse(webhook_body, nullptr, false);
  nlohmann::json out = nlohmann::json::array();
  if (payload.is_discarded() || !payload.contains("alerts")) return out.dump();
  for (const nlohmann::json& a : payload["alerts"]) {
    nlohmann::json p = {{"labels", a.value("labels", nlohmann::json::object())},
                        {"annotations", a.value("annotations", nlohmann::json::object())},
                        {"startsAt", a.value("startsAt", "")},
                        {"generatorURL", a.value("generatorURL", "")}};
    if (a.value("status", "") == "resolved") p["endsAt"] = a.value("endsAt", "");
    out.push_back(std::move(p));
  }
  return out.dump();
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
  // A webhook body ends with a newline already (as json.Encoder writes it).
  std::string line = body;
  if (line.empty() || line.back() != '\n') line.push_back('\n');
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

namespace {

// The integration's http_config, or the defaults.
const HttpClientConfig& HttpConfigOf(const Integration& i) {
  static const HttpClientConfig kDefaults;
  return i.http ? *i.http : kDefaults;
}

// The URL the integration POSTs to (nullopt for a file receiver): a webhook's own, an
// Alertmanager's /api/v2/alerts.
std::optional<std::string> PostUrlOf(const Integration& i) {
  switch (i.kind) {
    case Integration::Kind::kWebhook:
      return i.target;
    case Integration::Kind::kAlertmanager: {
      std::string url = i.target;
      while (!url.empty() && url.back() == '/') url.pop_back();
      return StrCat(url, "/api/v2/alerts");
    }
    case Integration::Kind::kFile:
      break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<HttpPost> HttpPostOf(const Notification& n) {
  std::optional<std::string> url = PostUrlOf(n.integration);
  if (!url) return std::nullopt;
  std::string body =
      n.integration.kind == Integration::Kind::kAlertmanager ? PostableAlerts(n.body) : n.body;
  return HttpPost{*std::move(url), std::move(body),
                  {StrCat("Idempotency-Key: ", n.IdempotencyKey())}, &HttpConfigOf(n.integration)};
}

std::optional<PlainHttpTarget> PlainHttpTargetOf(const Integration& integration) {
  std::optional<std::string> url = PostUrlOf(integration);
  if (!url) return std::nullopt;
  return PlainHttpTargetFor(*url, HttpConfigOf(integration));
}

SendResult Send(const Notification& n, absl::Duration timeout) {
  if (n.integration.kind == Integration::Kind::kFile) return AppendLine(n.integration.target, n.body);
  if (std::optional<HttpPost> post = HttpPostOf(n)) {
    return PostJson(post->url, post->body, post->headers, *post->http, timeout);
  }
  return {false, false, "unknown integration"};
}

}  // namespace vigil::notifier
