#pragma once

// How an API handler (an HTTP or gRPC thread, never the loop) makes a change in the
// dispatcher and tells its client what became of it.

#include <chrono>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/format.h"
#include "lib/service/task_queue.h"
#include "services/notifier/store_writer.h"

namespace vigil::notifier {

// Runs `work` on the loop thread and returns its result with a claim on the store writes
// it queued (an empty claim without a store); empty when the loop did not take it within
// `timeout`. `work` is kept by value: after a timeout it still runs, when the handler has
// long returned (its claim is then dropped with the result, and with it the failures it
// kept).
template <typename Fn>
auto CallWriting(service::TaskQueue& loop, StoreWriter* writer, Fn work,
                 std::chrono::milliseconds timeout)
    -> std::optional<std::pair<decltype(work()), StoreWriter::Claim>> {
  return loop.Call(
      [writer, work = std::move(work)]() mutable {
        StoreWriter::Claim claim;
        if (writer != nullptr) claim = writer->Begin();
        auto result = work();
        if (writer != nullptr) writer->End(&claim);
        return std::make_pair(std::move(result), std::move(claim));
      },
      timeout);
}

struct ChangeTimeouts {
  std::chrono::milliseconds loop{10'000};    // for the loop to take the work, then to make it
  absl::Duration store = absl::Seconds(10);  // for the store to commit it
};

// A change through the API (a silence set or expired, an acknowledgement, alerts posted):
// `prepare` runs on the loop (Dispatcher::SetSilence and the like: it checks the change,
// queues its write, and has it made on the loop once stored, never when the write failed);
// this waits for the write, then for the loop to have made it, so that the client reads
// what it was answered. Returns `prepare`'s result (absl::StatusOr<T>):
//   - its value once the change is stored and made;
//   - its error when it refused the change (not done);
//   - Internal "not stored" when the store refused the write (not done: a retry makes it);
//   - Unavailable when the loop or the store was too slow: maybe done, as the change is
//     made if and when its write commits; also when it is stored but the loop did not
//     confirm it live in time (or is stopping): done, not live yet.
template <typename Fn>
auto MakeChange(service::TaskQueue& loop, StoreWriter* writer, Fn prepare,
                ChangeTimeouts timeouts = {}) -> decltype(prepare()) {
  auto done = CallWriting(loop, writer, std::move(prepare), timeouts.loop);
  if (!done) {
    return absl::UnavailableError("notifier loop busy: made if the loop gets to it");
  }
  if (!done->first.ok() || writer == nullptr) return std::move(done->first);
  const absl::Status stored = writer->WaitStored(done->second, timeouts.store);
  if (absl::IsDeadlineExceeded(stored)) {
    return absl::UnavailableError(
        StrCat("not stored yet: ", stored.message(), "; made if and when it commits"));
  }
  if (!stored.ok()) return absl::InternalError(StrCat("not stored: ", stored.message()));
  // Made on the loop right after the commit (posted before WaitStored returned): one round
  // trip there finds it made.
  if (!loop.Call([] { return true; }, timeouts.loop)) {
    return absl::UnavailableError("stored, not live yet: the notifier loop is busy");
  }
  return std::move(done->first);
}

}  // namespace vigil::notifier
