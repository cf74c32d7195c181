#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/notifier/store.h"
#include "services/notifier/wal_checkpoints.h"

namespace vigil::notifier {

// Takes the SQLite work off the dispatcher's loop thread: one writer thread owns the Store
// (its connection, its commits) and applies the writes queued by the loop, in the order
// queued, as many per transaction as have accumulated while the previous transaction
// committed (group commit). In WAL mode with synchronous=NORMAL a commit is a write() and
// no fsync; the fsyncs are in checkpoints, which SQLite would run inside the commit that
// fills the WAL, delaying whoever waits for it. So a checkpointer thread with its own
// connection copies the WAL into the database, as WalCheckpoints decides: once per WAL
// cycle of kCheckpointPages, the writer itself copying a rest of at most kFinishPages
// between its transactions so that the WAL starts over, and everything at
// kForceCheckpointPages.
//
// Each write gets a ticket (1, 2, ...); a ticket is "done" once the transaction holding it
// has committed (or failed: a failed write or commit is counted in errors() and the
// notifier keeps working, as it did with synchronous writes). Each write is all or nothing
// (a savepoint): a failed one leaves no row of its own in the transaction; an error on
// which SQLite rolled back the whole transaction itself fails every write of it. Whoever must not
// go on before a write is durable waits on that write's ticket: the loop with WhenDurable (a
// callback, never blocking it), an API handler thread with WaitStored on a Claim, which
// also says whether the writes it waited for were stored (an API must not answer OK for a
// silence or acknowledgement a crash would lose). A write may also name what to do once
// it is done (Write's `on_done`, told whether it was stored), so that whoever queued it
// can make live what it only prepared, or forget what it assumed stored.
//
// Thread-safe. The destructor commits everything queued before returning.
class StoreWriter {
 public:
  using Ticket = uint64_t;
  using Op = std::function<absl::Status(Store&)>;
  // The writes one piece of loop work queued: tickets in (after, upto]; empty when equal.
  struct Tickets {
    Ticket after = 0;
    Ticket upto = 0;
  };

  // 16 MB of WAL at 4 KB pages: SQLite's automatic default (1,000) checkpointed a page
  // rewritten by many commits (a B-tree's tail) 4 times as often: ≈ 6 % more CPU per
  // notification under load (docs/PERFORMANCE.md).
  static constexpr int kCheckpointPages = 4000;
  static constexpr int kFinishPages = 256;
  static constexpr int kForceCheckpointPages = 20000;

  // A request's claim on the outcome of the writes its work queues: begun (Begin) before
  // the work queues anything, closed (End) after; the work may also make it answer for
  // earlier writes still pending (Reach). Until the claim is destroyed the writer keeps
  // the failures of those writes for WaitStored, however many other writes fail in the
  // meantime; failures no live claim covers are not kept at all. Move-only; the writer
  // must outlive it. A default-constructed claim covers nothing (no store).
  class Claim {
   public:
    Claim() = default;
    Claim(Claim&& other) noexcept { *this = std::move(other); }
    Claim& operator=(Claim&& other) noexcept;
    ~Claim() { Release(); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    const Tickets& tickets() const { return tickets_; }

   private:
    friend class StoreWriter;
    void Release();
    StoreWriter* writer_ = nullptr;
    Tickets tickets_;
    std::vector<Ticket> reached_;  // earlier writes it also answers for
  };

  explicit StoreWriter(std::unique_ptr<Store> store);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Told whether a write was stored: OK, or the error of the write or of its commit.
  using OnDone = std::function<void(const absl::Status&)>;
  // Queues a write; returns its ticket. `on_done`, if set, runs on the writer thread once
  // the write's transaction committed or failed, before anyone waiting for the ticket goes
  // on (so a client told "stored" finds what it posts to the loop posted already, and one
  // told "not stored" that retries finds it has run); it must not block.
  Ticket Write(Op op, OnDone on_done = nullptr);
  // The ticket of the newest write queued so far (0 before the first).
  Ticket last() const;

  // Runs `done` once `ticket` is done: at once, on the calling thread, when it already is;
  // otherwise on the writer thread right after that commit, so it must not block (hand
  // work to another thread from there).
  void WhenDurable(Ticket ticket, std::function<void()> done);
  // Blocks the calling thread until `ticket` is done; false if `timeout` passed first.
  // Not for the loop thread.
  bool WaitDurable(Ticket ticket, absl::Duration timeout);
  // Starts a claim on the writes queued from now on; End closes it at the newest write.
  // One thread (the loop) begins and ends claims, one at a time.
  Claim Begin();
  void End(Claim* claim);
  // Makes the open claim (if any) answer for the earlier write `ticket` too: a request
  // whose work found its change already queued by an earlier one, not yet committed, is
  // told that write's outcome. False when `ticket` is done already (nothing to reach: its
  // `on_done` has run).
  bool Reach(Ticket ticket);
  // Blocks the calling thread until every write of `claim` is done. OK when all were
  // stored; the first failed one's error otherwise; DeadlineExceeded if `timeout` passed
  // first. A claim of no writes (work that changed nothing, perhaps because an earlier
  // request queued the same state) waits for the writes queued before it and is OK once
  // they are done. Not for the loop thread.
  absl::Status WaitStored(const Claim& claim, absl::Duration timeout);

  // Runs `read` on the writer thread after the writes queued so far and returns its
  // status; blocks the caller until then (start-up and tests).
  absl::Status Read(const Op& read);

  // Failed writes and commits so far, and the last one's error.
  uint64_t errors() const;
  std::string last_error() const;
  // Transactions committed so far (tests: writes are grouped).
  uint64_t commits() const;
  // Blocks until the checkpointer thread has run `n` checkpoints; false after `timeout`.
  bool AwaitCheckpoints(uint64_t n, absl::Duration timeout);

 private:
  void Run();
  void RunCheckpointer();
  void OnWal(int pages);
  // Waits (mu_ held) until `ticket` is done; false if `timeout` passed first.
  bool AwaitDone(Ticket ticket, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts `n` failed writes, commits or checkpoints; `last` is the newest one's error.
  void RecordErrors(uint64_t n, const absl::Status& last) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Remembers that the writes in `tickets` were not stored, for WaitStored, when a live
  // claim covers them.
  void RememberFailure(Tickets tickets, absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A claim starting after `after` (and reaching back to `reached`) is gone: drops the
  // failures no live claim covers.
  void ReleaseClaim(Ticket after, const std::vector<Ticket>& reached);

  struct Failure {
    Tickets tickets;
    absl::Status why;
  };

  std::unique_ptr<Store> store_;  // the writer thread's only
  mutable absl::Mutex mu_;
  struct Queued {
    Op op;
    OnDone on_done;
    absl::Status status;  // the op's own, once run
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  Ticket queued_ ABSL_GUARDED_BY(mu_) = 0;
  Ticket done_ ABSL_GUARDED_BY(mu_) = 0;
  std::multimap<Ticket, std::function<void()>> waiting_ ABSL_GUARDED_BY(mu_);
  // Failures of writes some live claim covers, oldest first.
  std::deque<Failure> failures_ ABSL_GUARDED_BY(mu_);
  // The live claims' `after`, and `ticket - 1` of each write one reached back to.
  std::multiset<Ticket> claims_ ABSL_GUARDED_BY(mu_);
  bool claim_open_ ABSL_GUARDED_BY(mu_) = false;       // between Begin and End
  std::vector<Ticket> reaching_ ABSL_GUARDED_BY(mu_);  // what the open claim reached
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool checkpoint_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool checkpoint_running_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  WalCheckpoints wal_ ABSL_GUARDED_BY(mu_){kCheckpointPages, kFinishPages, kForceCheckpointPages};
  std::thread thread_;
  std::thread checkpointer_;
};

}  // namespace vigil::notifier
