#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"
#include "lib/promql/engine.h"
#include "lib/rules/rule_file.h"
#include "lib/rules/template.h"

namespace vigil::rules {

enum class AlertState { kInactive, kPending, kFiring };

std::string_view AlertStateName(AlertState s);  // "inactive", "pending", "firing"

// "Never", for the times below that may be unset (Go's zero time in Prometheus).
inline constexpr TimestampMs kUnsetMs = INT64_MIN;

// One alert of an alerting rule (Prometheus rules.Alert). Times are ms.
struct Alert {
  labels::Labels labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  AlertState state = AlertState::kPending;
  double value = 0;
  TimestampMs active_at = 0;
  TimestampMs fired_at = kUnsetMs;
  TimestampMs resolved_at = kUnsetMs;
  TimestampMs last_sent_at = kUnsetMs;
  TimestampMs valid_until = kUnsetMs;
  TimestampMs keep_firing_since = kUnsetMs;
};

// Evaluates an expression at a time; rules are handed one, as in Prometheus, so they are
// tested without storage.
using QueryFunc = std::function<absl::StatusOr<promql::Vector>(const promql::Expr&, TimestampMs)>;

// Resolved alerts are kept and re-sent for this long (Prometheus resolvedRetention).
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

// An alerting rule and its alerts: Prometheus rules/alerting.go's state machine, exactly.
// inactive → pending when the expression returns the series; pending → firing once it has
// held for `for`; a pending alert that vanishes is dropped; a firing one resolves (or is
// held by keep_firing_for) and is kept 15 minutes so the resolution is re-sent.
class AlertingRule {
 public:
  // `external_url` is what templates see as {{ $externalURL }}.
  AlertingRule(RuleSpec spec, labels::Labels external_labels, std::string external_url = "");

  struct EvalOptions {
    // The group's `limit`: more alerts than this (pending, firing and resolved ones still
    // kept) is an error and drops them all, as Prometheus does. 0: no limit.
    int64_t limit = 0;
    // Alerts the expression no longer returns keep their state unchanged (no resolve, no
    // drop, no keep_firing_for progress): used while the window refills after a restart.
    bool hold_absent = false;
  };

  // Evaluates at `t`. Returns the fingerprints of alerts whose state changed (new pending,
  // firing, resolved), for publication.
  absl::StatusOr<std::vector<uint64_t>> Eval(TimestampMs t, const QueryFunc& query,
                                             const EvalOptions& options);
  absl::StatusOr<std::vector<uint64_t>> Eval(TimestampMs t, const QueryFunc& query) {
    return Eval(t, query, EvalOptions{});
  }

  // Puts back an alert saved before a restart (its labels' fingerprint is its key).
  void Restore(Alert alert);
  // Takes over every alert of `old` (a reload of the same rule).
  void TakeAlertsFrom(AlertingRule& old) { active_ = std::move(old.active_); }

  // Prometheus sendAlerts: firing alerts not sent for `resend_delay`, and alerts resolved
  // since they were last sent. Marks them sent at `t` and sets valid_until to
  // t + 4 * max(resend_delay, interval).
  std::vector<uint64_t> TakeAlertsToSend(TimestampMs t, absl::Duration resend_delay,
                                         absl::Duration interval);

  const RuleSpec& spec() const { return spec_; }
  const absl::flat_hash_map<uint64_t, Alert>& active() const { return active_; }
  const std::string& last_error() const { return last_error_; }
  TimestampMs last_evaluation() const { return last_evaluation_; }

 private:
  RuleSpec spec_;
  labels::Labels external_labels_;
  std::string external_url_;
  // spec_.labels' and spec_.annotations' templates, in the same order, parsed once.
  std::vector<CompiledTemplate> label_templates_, annotation_templates_;
  absl::flat_hash_map<uint64_t, Alert> active_;
  std::string last_error_;
  TimestampMs last_evaluation_ = 0;
};

}  // namespace vigil::rules
