#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "lib/service/flags.h"
#include "lib/service/logging.h"
#include "lib/service/signals.h"
#include "services/reporter/reporter_app.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();
  CLI::App app{
      "vigil-reporter: stores samples, alert events and notifications from the bus; "
      "rollout gate and reports"};
  vigil::service::CommonFlags flags;
  vigil::service::AddCommonFlags(app, vigil::service::ReporterDefaults(), &flags);
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc;
  if (auto s = vigil::service::InitLogging("reporter", flags.log_level, flags.log_format);
      !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return vigil::reporter::RunReporter(flags);
}
