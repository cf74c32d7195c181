#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/notifier/http_config.h"

namespace vigil::notifier {

// Alertmanager's `webhook_configs` entry.
struct WebhookConfig {
  std::string url;
  bool send_resolved = true;
  int64_t max_alerts = 0;  // 0: no limit
  // Its own http_config, else global.http_config, else defaults. Never null once parsed.
  std::shared_ptr<const HttpClientConfig> http;
  // How long one request may take before it fails and is retried (Alertmanager 0.28's
  // key, listed by the issue; 0.25 has none). Zero: the notifier's default, 10 s.
  absl::Duration timeout = absl::ZeroDuration();
};

// vigil's `alertmanager_configs` entry: forwards each notification's alerts to a real
// Alertmanager's POST <url>/api/v2/alerts, so a team keeps its Alertmanager downstream.
struct AlertmanagerConfig {
  std::string url;  // base URL, e.g. http://am:9093 (a path prefix is kept)
  bool send_resolved = true;
  std::shared_ptr<const HttpClientConfig> http;
};

// vigil's `file_configs` entry: one webhook-JSON object per line, appended and fsynced.
struct FileConfig {
  std::string path;
  bool send_resolved = true;
};

// One way of reaching a receiver (Alertmanager's notify.Integration): a webhook, a file
// or an Alertmanager. `index` counts within its kind, as Alertmanager numbers integrations.
struct Integration {
  enum class Kind { kWebhook, kFile, kAlertmanager };
  Kind kind = Kind::kWebhook;
  int index = 0;
  std::string target;  // URL or file path
  bool send_resolved = true;
  int64_t max_alerts = 0;
  std::shared_ptr<const HttpClientConfig> http;  // webhook and alertmanager; may be null
  absl::Duration timeout = absl::ZeroDuration();  // per request; zero: the default

  // "webhook[0]", "file[1]", "alertmanager[0]": names the integration in logs and the
  // notification log.
  std::string Name() const {
    const char* kind_name = kind == Kind::kWebhook ? "webhook[" : kind == Kind::kFile ? "file[" : "alertmanager[";
    return kind_name + std::to_string(index) + "]";
  }
};

// Alertmanager's `receivers` entry.
struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhook_configs;
  std::vector<FileConfig> file_configs;
  std::vector<AlertmanagerConfig> alertmanager_configs;

  // Its integrations, webhooks first, then files, then Alertmanagers; listed once by
  // ListIntegrations (the configuration parser calls it), not at every flush.
  const std::vector<Integration>& Integrations() const { return integrations_; }
  void ListIntegrations() {
    integrations_.clear();
    for (size_t i = 0; i < webhook_configs.size(); ++i) {
      const WebhookConfig& w = webhook_configs[i];
      integrations_.push_back({Integration::Kind::kWebhook, static_cast<int>(i), w.url,
                               w.send_resolved, w.max_alerts, w.http, w.timeout});
    }
    for (size_t i = 0; i < file_configs.size(); ++i) {
      const FileConfig& f = file_configs[i];
      integrations_.push_back(
          {Integration::Kind::kFile, static_cast<int>(i), f.path, f.send_resolved, 0, {}});
    }
    for (size_t i = 0; i < alertmanager_configs.size(); ++i) {
      const AlertmanagerConfig& a = alertmanager_configs[i];
      integrations_.push_back({Integration::Kind::kAlertmanager, static_cast<int>(i), a.url,
                               a.send_resolved, 0, a.http});
    }
  }

 private:
  std::vector<Integration> integrations_;
};

}  // namespace vigil::notifier
