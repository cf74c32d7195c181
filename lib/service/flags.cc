#include "lib/service/flags.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"

namespace vigil::service {
namespace {

std::string Bus(int port) { return StrCat("tcp://127.0.0.1:", port); }

}  // namespace

ServiceDefaults CollectorDefaults() {
  return {"collector", "prometheus.yml", 9401, 9501, 9601, {}, ""};
}
ServiceDefaults EvaluatorDefaults() {
  return {"evaluator", "prometheus.yml", 9402, 9502, 9602, {Bus(9601)}, "data/evaluator"};
}
ServiceDefaults NotifierDefaults() {
  return {"notifier", "alertmanager.yml", 9403, 9503, 9603, {Bus(9602)}, "data/notifier"};
}
ServiceDefaults ReporterDefaults() {
  return {"reporter", "rollout.yml", 9404, 9504, 9604,
          {Bus(9601), Bus(9602), Bus(9603)}, "data/reporter"};
}

void AddCommonFlags(CLI::App& app, const ServiceDefaults& d, CommonFlags* f) {
  f->config_file = d.config_file;
  f->web_listen_address = StrCat("127.0.0.1:", d.http_port);
  f->grpc_listen_address = StrCat("127.0.0.1:", d.grpc_port);
  f->bus_publish_address = Bus(d.bus_port);
  f->bus_connect = d.bus_connect;
  f->storage_path = d.storage_path;
  app.add_option("--config.file", f->config_file, "Configuration file path.")
      ->capture_default_str();
  app.add_option("--web.listen-address", f->web_listen_address,
                 "Address to listen on for /metrics, APIs and /-/ endpoints (port 0: any).")
      ->capture_default_str();
  app.add_option("--grpc.listen-address", f->grpc_listen_address,
                 "Address to listen on for gRPC (health, reflection, control).")
      ->capture_default_str();
  app.add_option("--log.level", f->log_level, "Only log messages with this severity or above.")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log.format", f->log_format, "Output format of log messages.")
      ->check(CLI::IsMember({"logfmt", "json"}))
      ->capture_default_str();
  app.add_option("--bus.publish-address", f->bus_publish_address,
                 "ZeroMQ endpoint this process publishes on (port 0: any).")
      ->capture_default_str();
  app.add_option("--bus.connect", f->bus_connect,
                 "ZeroMQ endpoint to subscribe to (repeatable).")
      ->capture_default_str();
  app.add_option("--web.external-url", f->web_external_url,
                 "The URL this service is reached under (alerts' generatorURL, payloads' "
                 "externalURL). Default: http://<hostname>:<listen port>.");
  if (!d.storage_path.empty()) {
    app.add_option("--storage.path", f->storage_path, "Directory for durable state.")
        ->capture_default_str();
  }
}

absl::StatusOr<std::string> ExternalUrl(std::string_view flag, std::string_view listen_address) {
  std::string url(flag);
  if (url.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0) {
      return absl::InternalError("cannot read the host name for the external URL");
    }
    const size_t colon = listen_address.rfind(':');
    const std::string_view port =
        colon == std::string_view::npos ? std::string_view() : listen_address.substr(colon + 1);
    url = StrCat("http://", host, ":", port, "/");
  }
  const size_t sep = url.find("://");
  const std::string scheme =
      sep == std::string::npos ? "" : absl::AsciiStrToLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(StrCat("\"", url, "\": invalid \"", scheme,
                                             "\" scheme, only 'http' and 'https' are supported"));
  }
  const size_t authority = sep + 3;
  const size_t path = std::min(url.find_first_of("/?#", authority), url.size());
  const size_t rest = std::min(url.find_first_of("?#", path), url.size());
  size_t path_end = rest;
  while (path_end > path && url[path_end - 1] == '/') --path_end;
  return StrCat(scheme, "://", url.substr(authority, path - authority),
                url.substr(path, path_end - path), url.substr(rest));
}

int ParseFlags(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help or the error
    return code == 0 ? 0 : 2;
  }
  return -1;
}

}  // namespace vigil::service
