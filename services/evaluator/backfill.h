#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/clock/clock.h"
#include "lib/codec/samples.h"
#include "lib/labels/matcher.h"

namespace vigil::evaluator {

// Reads recent history back from the reporter (Reporter.ReadSamples) so a starting
// evaluator has full windows at once: rate(x[5m]) right on its first evaluation, not
// five minutes later.
//
// Returns every stored sample in [start, end] of the series matching any of `selectors`
// (every series when `selectors` is empty; use promql::ExtractSelectors on the loaded
// rules), one entry per series with its points oldest first, staleness markers included
// as StaleNaN. Series come in the reporter's order (by when it first stored them).
//
// Errors keep the gRPC code: Unavailable when the reporter is not reachable (the caller
// starts without history), DeadlineExceeded when `deadline` passes first,
// InvalidArgument for a matcher the reporter rejects. Nothing is returned on error, so
// the caller never loads half a window believing it whole.
//
// Stateless and blocking; call it from any thread but the one that must keep serving.
absl::StatusOr<std::vector<codec::DecodedSeries>> Backfill(
    const std::string& reporter_grpc_address, TimestampMs start, TimestampMs end,
    const std::vector<std::vector<labels::Matcher>>& selectors, absl::Duration deadline);

}  // namespace vigil::evaluator
