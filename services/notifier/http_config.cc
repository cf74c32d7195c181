#include "services/notifier/http_config.h"

#include <cctype>

#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::notifier {

namespace {

// Go's url.Parse rejects a '%' not followed by two hex digits; nothing else a proxy URL
// may contain fails it in practice.
bool ValidUrlEscapes(const std::string& url) {
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '%') continue;
    if (i + 2 >= url.size() || !std::isxdigit(static_cast<unsigned char>(url[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(url[i + 2]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ParseHttpConfig(std::string_view file_view, std::string_view dir,
                             const YAML::Node& node, HttpClientConfig* out) {
  const std::string file(file_view);
  *out = HttpClientConfig{};
  if (auto s = config::ExpectMap(file, node, "http_config"); !s.ok()) return s;
  if (auto s = config::CheckKeys(
          file, node,
          {"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file",
           "tls_config", "proxy_url", "follow_redirects", "enable_http2"},
          "http_config");
      !s.ok()) {
    return s;
  }
  if (node["oauth2"] && !node["oauth2"].IsNull()) {
    return config::ErrorAt(file, node["oauth2"], "oauth2 is not supported by vigil");
  }
  // The part a scrape config shares, with the same checks.
  if (auto s = promconfig::ParseHttpClientConfig(file, std::string(dir), node, out); !s.ok()) {
    return s;
  }
  if (auto s = config::ReadBool(file, node, "follow_redirects", &out->follow_redirects); !s.ok()) {
    return s;
  }
  bool http2 = true;
  if (auto s = config::ReadBool(file, node, "enable_http2", &http2); !s.ok()) return s;
  if (auto s = config::ReadString(file, node, "proxy_url", &out->proxy_url); !s.ok()) return s;
  if (!ValidUrlEscapes(out->proxy_url)) {
    return config::ErrorAt(file, node["proxy_url"],
                           StrCat("parse \"", out->proxy_url, "\": invalid URL escape"));
  }
  return absl::OkStatus();
}

}  // namespace vigil::notifier
