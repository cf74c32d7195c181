// vigil-collector: scrapes Prometheus targets and publishes their samples on the bus.
#include <cstdio>

#include "lib/service/flags.h"
#include "lib/service/logging.h"
#include "lib/service/signals.h"
#include "services/collector/collector_app.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();
  CLI::App app{"vigil-collector: scrapes Prometheus targets and publishes samples on the bus"};
  vigil::service::CommonFlags flags;
  vigil::service::AddCommonFlags(app, vigil::service::CollectorDefaults(), &flags);
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc;
  if (auto s = vigil::service::InitLogging("collector", flags.log_level, flags.log_format);
      !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return vigil::collector::RunCollector(flags);
}
