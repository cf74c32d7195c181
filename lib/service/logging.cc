#include "lib/service/logging.h"

#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "lib/base/format.h"
#include "absl/time/time.h"

namespace vigil::service {
namespace {

std::string LevelName(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    default: return "error";
  }
}

std::string Timestamp(const spdlog::details::log_msg& msg) {
  absl::Time t = absl::FromChrono(msg.time);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Writes whole lines with one fwrite so lines from several threads never interleave.
class LineSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  LineSink(std::string service, bool json) : service_(std::move(service)), json_(json) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (json_) {
      nlohmann::json j = {{"ts", Timestamp(msg)},
                          {"level", LevelName(msg.level)},
                          {"service", service_},
                          {"msg", text}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      line = StrCat("ts=", Timestamp(msg), " level=", LevelName(msg.level),
                          " service=", service_, " msg=",
                          nlohmann::json(text).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace),
                          "\n");
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  std::string service_;
  bool json_;
};

}  // namespace

absl::Status InitLogging(const std::string& service, const std::string& level,
                         const std::string& format) {
  if (format != "logfmt" && format != "json") {
    return absl::InvalidArgumentError(StrCat("unknown log format \"", format, "\""));
  }
  spdlog::level::level_enum lvl;
  if (level == "debug") lvl = spdlog::level::debug;
  else if (level == "info") lvl = spdlog::level::info;
  else if (level == "warn") lvl = spdlog::level::warn;
  else if (level == "error") lvl = spdlog::level::err;
  else return absl::InvalidArgumentError(StrCat("unknown log level \"", level, "\""));
  auto sink = std::make_shared<LineSink>(service, format == "json");
  auto logger = std::make_shared<spdlog::logger>(service, sink);
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace vigil::service
