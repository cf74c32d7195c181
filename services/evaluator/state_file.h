#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "vigil/v1/evaluator_state.pb.h"

namespace vigil::evaluator {

// The evaluator's alert state on disk: one protobuf AlertStateSnapshot, replaced atomically
// (written to a temporary file, fsynced, renamed over the old one, directory fsynced), so
// a crash at any moment leaves either the old or the new state, never a torn one.
absl::Status WriteStateFile(const std::string& path, const v1::AlertStateSnapshot& snapshot);

// nullopt when there is no file yet; an error naming the file when it cannot be read or
// parsed.
absl::StatusOr<std::optional<v1::AlertStateSnapshot>> ReadStateFile(const std::string& path);

}  // namespace vigil::evaluator
