#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::notifier {

// Alertmanager's `webhook_configs` entry.
struct WebhookConfig {
  std::string url;
  bool send_resolved = true;
  int64_t max_alerts = 0;  // 0: no limit
};

// vigil's `file_configs` entry: one webhook-JSON object per line, appended and fsynced.
struct FileConfig {
  std::string path;
  bool send_resolved = true;
};

// One way of reaching a receiver (Alertmanager's notify.Integration): a webhook or a file.
// `index` counts within its kind, as Alertmanager numbers integrations.
struct Integration {
  enum class Kind { kWebhook, kFile };
  Kind kind = Kind::kWebhook;
  int index = 0;
  std::string target;  // URL or file path
  bool send_resolved = true;
  int64_t max_alerts = 0;

  // "webhook[0]", "file[1]": names the integration in logs and the notification log.
  std::string Name() const {
    return (kind == Kind::kWebhook ? "webhook[" : "file[") + std::to_string(index) + "]";
  }
};

// Alertmanager's `receivers` entry.
struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhook_configs;
  std::vector<FileConfig> file_configs;

  std::vector<Integration> Integrations() const {
    std::vector<Integration> out;
    for (size_t i = 0; i < webhook_configs.size(); ++i) {
      const WebhookConfig& w = webhook_configs[i];
      out.push_back(
          {Integration::Kind::kWebhook, static_cast<int>(i), w.url, w.send_resolved, w.max_alerts});
    }
    for (size_t i = 0; i < file_configs.size(); ++i) {
      const FileConfig& f = file_configs[i];
      out.push_back({Integration::Kind::kFile, static_cast<int>(i), f.path, f.send_resolved, 0});
    }
    return out;
  }
};

}  // namespace vigil::notifier
