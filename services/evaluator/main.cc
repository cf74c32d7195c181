// vigil-evaluator: evaluates Prometheus rule files over the samples on the bus.
#include <cstdio>

#include "absl/strings/numbers.h"
#include "lib/config/duration.h"
#include "lib/service/flags.h"
#include "lib/service/logging.h"
#include "lib/service/signals.h"
#include "services/evaluator/evaluator_app.h"

int main(int argc, char** argv) {
  vigil::service::BlockTerminationSignals();
  CLI::App app{"vigil-evaluator: evaluates Prometheus alerting and recording rules"};
  vigil::service::CommonFlags flags;
  vigil::service::AddCommonFlags(app, vigil::service::EvaluatorDefaults(), &flags);
  std::string resend = "1m";
  app.add_option("--rules.alert.resend-delay", resend,
                 "Minimum amount of time to wait before resending an alert.")
      ->capture_default_str();
  std::string mode = "event";
  app.add_option("--rules.evaluation-mode", mode,
                 "event: evaluate a group as soon as every series it reads has fresh "
                 "samples, with its interval as the fallback; interval: on the interval only, "
                 "as Prometheus.")
      ->check(CLI::IsMember({"event", "interval"}))
      ->capture_default_str();
  double early_budget = 0.1;
  app.add_option("--rules.early-evaluation-budget", early_budget,
                 "event mode: a group with fresh samples for only some of the series it reads "
                 "is evaluated at once too, while such early evaluations take at most this "
                 "share of the time (0.1: 100 ms of evaluation a second). 0: a group waits "
                 "until every series it reads has a fresh sample. 0, or 0.001 to 1.")
      ->check([](const std::string& text) -> std::string {
        double v = 0;
        // NaN passes a range check: not a number to compare.
        if (!absl::SimpleAtod(text, &v) || !(v == 0 || (v >= 0.001 && v <= 1))) {
          return "must be 0, or a number from 0.001 to 1";
        }
        return "";
      })
      ->capture_default_str();
  std::string reporter;
  app.add_option("--reporter.grpc-address", reporter,
                 "The reporter's gRPC address (host:port): on start, the window is "
                 "backfilled from the samples it stored, and after a reload the series "
                 "the new rules read. Empty: no backfill.");
  std::string min_retention = "0s";
  app.add_option("--storage.min-retention", min_retention,
                 "History kept for queries even when no rule reads that far back (the "
                 "window is the larger of this and what the rules need).")
      ->capture_default_str();
  std::string value_coding = "auto";
  app.add_option("--storage.head.value-coding", value_coding,
                 "auto: each chunk stores its values as decimal mantissas when they are "
                 "exact decimals (counters, most gauges), else in Prometheus's XOR coding; "
                 "xor: always XOR, as Prometheus (more memory; for comparison).")
      ->check(CLI::IsMember({"auto", "xor"}))
      ->capture_default_str();
  if (int rc = vigil::service::ParseFlags(app, argc, argv); rc >= 0) return rc;
  auto resend_delay = vigil::config::ParseDuration(resend);
  if (!resend_delay.ok()) {
    std::fprintf(stderr, "error: --rules.alert.resend-delay: %s\n",
                 std::string(resend_delay.status().message()).c_str());
    return 2;
  }
  auto retention = vigil::config::ParseDuration(min_retention);
  if (!retention.ok()) {
    std::fprintf(stderr, "error: --storage.min-retention: %s\n",
                 std::string(retention.status().message()).c_str());
    return 2;
  }
  if (auto s = vigil::service::InitLogging("evaluator", flags.log_level, flags.log_format);
      !s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  vigil::evaluator::EvaluatorOptions options;
  options.resend_delay = *resend_delay;
  options.min_retention = *retention;
  options.event_driven = mode == "event";
  options.early_evaluation_budget = early_budget;
  options.value_codings = value_coding == "xor" ? vigil::tsdb::ValueCodings::kXorOnly
                                                : vigil::tsdb::ValueCodings::kXorOrDecimal;
  return vigil::evaluator::RunEvaluator(flags, std::move(options), reporter);
}
