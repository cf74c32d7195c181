#include "services/notifier/store_writer.h"

#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "lib/base/thread_name.h"
#include "lib/sqlite/database.h"

namespace vigil::notifier {

StoreWriter::StoreWriter(std::unique_ptr<Store> store) : store_(std::move(store)) {
  store_->SetWalHook([this](int pages) { OnWal(pages); });
  thread_ = std::thread([this] {
    SetThreadName("store-writer");
    Run();
  });
  checkpointer_ = std::thread([this] {
    SetThreadName("store-ckpt");
    RunCheckpointer();
  });
}

StoreWriter::~StoreWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  checkpointer_.join();
}

void StoreWriter::OnWal(int pages) {
  uint64_t cycle = 0;
  {
    absl::MutexLock lock(&mu_);
    const auto action = wal_.OnCommit(pages, checkpoint_wanted_ || checkpoint_running_);
    if (action == WalCheckpoints::Action::kAskCheckpointer) checkpoint_wanted_ = true;
    if (action != WalCheckpoints::Action::kCopyHere) return;
    cycle = wal_.cycle();
  }
  auto copied = store_->Checkpoint();
  absl::MutexLock lock(&mu_);
  if (!copied.ok()) {
    RecordErrors(1, copied.status());
  } else if (!copied->busy) {  // busy: the checkpointer is at it; the next commit looks again
    wal_.OnCopied(cycle, copied->copied_frames);
  }
}

void StoreWriter::RunCheckpointer() {
  // Opened on first use, so a writer that never fills the WAL opens no second connection;
  // a bare connection: it only checkpoints (Store::Open would migrate and index rows).
  std::unique_ptr<sqlite::Database> own;
  while (true) {
    uint64_t cycle = 0;
    {
      absl::MutexLock lock(&mu_);
      auto wanted = [this]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || checkpoint_wanted_; };
      mu_.Await(absl::Condition(&wanted));
      if (stop_) return;
      checkpoint_wanted_ = false;
      checkpoint_running_ = true;
      cycle = wal_.cycle();
    }
    absl::Status s;
    if (own == nullptr) {
      auto opened = sqlite::Database::Open(store_->path(), sqlite::kWalPragmas);
      if (opened.ok()) {
        own = std::move(*opened);
      } else {
        s = opened.status();
      }
    }
    std::optional<sqlite::Database::CheckpointProgress> progress;
    if (own != nullptr) {
      auto p = own->CheckpointPassive();
      if (p.ok()) {
        progress = *p;
      } else {
        s = p.status();
      }
    }
    absl::MutexLock lock(&mu_);
    checkpoint_running_ = false;
    ++checkpoints_;
    if (!s.ok()) RecordErrors(1, s);
    // A pass that met the writer's own checkpoint did nothing; one from a cycle now over
    // says nothing of the new one.
    if (progress && !progress->busy) wal_.OnCopied(cycle, progress->copied_frames);
  }
}

bool StoreWriter::AwaitCheckpoints(uint64_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return checkpoints_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void StoreWriter::RecordErrors(uint64_t n, const absl::Status& last) {
  errors_ += n;
  last_error_ = std::string(last.message());
}

StoreWriter::Ticket StoreWriter::Write(Op op, OnDone on_done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({std::move(op), std::move(on_done), absl::OkStatus()});
  return ++queued_;
}

StoreWriter::Ticket StoreWriter::last() const {
  absl::MutexLock lock(&mu_);
  return queued_;
}

void StoreWriter::WhenDurable(Ticket ticket, std::function<void()> done) {
  {
    absl::MutexLock lock(&mu_);
    if (ticket > done_) {
      waiting_.emplace(ticket, std::move(done));
      return;
    }
  }
  done();
}

bool StoreWriter::AwaitDone(Ticket ticket, absl::Duration timeout) {
  auto reached = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ >= ticket; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool StoreWriter::WaitDurable(Ticket ticket, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return AwaitDone(ticket, timeout);
}

StoreWriter::Claim& StoreWriter::Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    Release();
    writer_ = std::exchange(other.writer_, nullptr);
    tickets_ = other.tickets_;
    reached_ = std::move(other.reached_);
  }
  return *this;
}

void StoreWriter::Claim::Release() {
  if (writer_ != nullptr) std::exchange(writer_, nullptr)->ReleaseClaim(tickets_.after, reached_);
}

StoreWriter::Claim StoreWriter::Begin() {
  absl::MutexLock lock(&mu_);
  Claim claim;
  claim.writer_ = this;
  claim.tickets_ = {queued_, queued_};
  claims_.insert(queued_);
  claim_open_ = true;
  reaching_.clear();
  return claim;
}

void StoreWriter::End(Claim* claim) {
  absl::MutexLock lock(&mu_);
  claim->tickets_.upto = queued_;
  claim->reached_ = std::move(reaching_);
  reaching_.clear();
  claim_open_ = false;
}

bool StoreWriter::Reach(Ticket ticket) {
  absl::MutexLock lock(&mu_);
  if (ticket <= done_) return false;
  if (claim_open_) {
    reaching_.push_back(ticket);
    claims_.insert(ticket - 1);  // keeps its failure, as for the claim's own writes
  }
  return true;
}

void StoreWriter::ReleaseClaim(Ticket after, const std::vector<Ticket>& reached) {
  absl::MutexLock lock(&mu_);
  auto release = [this](Ticket after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = claims_.find(after);
    if (it == claims_.end()) std::abort();  // a claim released twice, or by another writer
    claims_.erase(it);
  };
  release(after);
  for (Ticket t : reached) release(t - 1);
  // A failure matters to the live claims that start before its last write; claims begun
  // later cover only later writes.
  const Ticket oldest = claims_.empty() ? queued_ : *claims_.begin();
  std::erase_if(failures_, [oldest](const Failure& f) { return f.tickets.upto <= oldest; });
}

absl::Status StoreWriter::WaitStored(const Claim& claim, absl::Duration timeout) {
  const Tickets& tickets = claim.tickets();
  absl::MutexLock lock(&mu_);
  if (!AwaitDone(tickets.upto, timeout)) {
    return absl::DeadlineExceededError("the store did not commit in time");
  }
  auto covers = [](const Tickets& f, Ticket t) { return f.after < t && t <= f.upto; };
  for (const Failure& f : failures_) {
    // Its own writes, if any (a failed transaction may hold writes queued before and after
    // a claim of none), then those it reached back to.
    if (tickets.after < tickets.upto && f.tickets.after < tickets.upto &&
        tickets.after < f.tickets.upto) {
      return f.why;
    }
    for (Ticket t : claim.reached_) {
      if (covers(f.tickets, t)) return f.why;
    }
  }
  return absl::OkStatus();
}

void StoreWriter::RememberFailure(Tickets tickets, absl::Status why) {
  // Nobody can ask about writes that no live claim covers: nothing to keep (and nothing
  // to grow without bound while the disk fails and nobody asks).
  if (claims_.empty() || *claims_.begin() >= tickets.upto) return;
  failures_.push_back({tickets, std::move(why)});
}

absl::Status StoreWriter::Read(const Op& read) {
  absl::Status result;
  const Ticket t = Write([&](Store& s) {
    result = read(s);
    return absl::OkStatus();
  });
  WaitDurable(t, absl::InfiniteDuration());
  return result;
}

uint64_t StoreWriter::errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

std::string StoreWriter::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

uint64_t StoreWriter::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

void StoreWriter::Run() {
  while (true) {
    std::deque<Queued> batch;
    Ticket upto = 0;  // the batch holds tickets (upto - batch.size(), upto]
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      batch.swap(queue_);
      upto = queued_;
    }
    // Everything that queued up while the last transaction committed goes into this one.
    const Ticket first = upto - batch.size() + 1;
    std::vector<Failure> failures;
    absl::Status committed;
    {
      Store::Transaction tx(store_.get());
      for (size_t i = 0; i < batch.size(); ++i) {
        // Each write all or nothing: one that fails midway (an update of two silences
        // whose second row failed) leaves none of its rows to be committed with the others.
        Store::Savepoint write(store_.get());
        batch[i].status = write.begun().ok() ? batch[i].op(*store_) : write.begun();
        if (batch[i].status.ok()) batch[i].status = write.Keep();
        if (batch[i].status.ok()) continue;
        if (!store_->InTransaction()) {
          // SQLite rolled the transaction back itself: the writes before are gone too, and
          // the rest would commit one by one. None of the batch is stored.
          committed = batch[i].status;
          break;
        }
        const Ticket t = first + i;
        failures.push_back({{t - 1, t}, batch[i].status});
      }
      // A failed commit rolls the whole transaction back: none of it is stored.
      if (committed.ok()) committed = tx.Commit();
      if (!committed.ok()) failures.push_back({{first - 1, upto}, committed});
    }
    // Before the waiters below go on: whoever queued a write hears how it went first.
    for (Queued& q : batch) {
      if (q.on_done) q.on_done(committed.ok() ? q.status : committed);
    }
    std::vector<std::function<void()>> done;
    {
      absl::MutexLock lock(&mu_);
      done_ = upto;
      ++commits_;
      if (!failures.empty()) RecordErrors(failures.size(), failures.back().why);
      for (Failure& f : failures) RememberFailure(f.tickets, std::move(f.why));
      for (auto it = waiting_.begin(); it != waiting_.end() && it->first <= upto;) {
        done.push_back(std::move(it->second));
        it = waiting_.erase(it);
      }
    }
    // Outside the lock: a callback may queue more writes.
    for (auto& fn : done) fn();
  }
}

}  // namespace vigil::notifier
