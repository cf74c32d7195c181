#include "services/notifier/store_writer.h"

#include <utility>
#include <vector>

namespace vigil::notifier {

StoreWriter::StoreWriter(std::unique_ptr<Store> store)
    : store_(std::move(store)), thread_([this] { Run(); }) {}

StoreWriter::~StoreWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

StoreWriter::Ticket StoreWriter::Write(Op op) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(op));
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

bool StoreWriter::WaitDurable(Ticket ticket, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ >= ticket; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
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
    std::deque<Op> batch;
    Ticket upto = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      batch.swap(queue_);
      upto = queued_;
    }
    // Everything that queued up while the last transaction committed goes into this one.
    std::vector<absl::Status> failures;
    {
      Store::Transaction tx(store_.get());
      for (Op& op : batch) {
        if (absl::Status s = op(*store_); !s.ok()) failures.push_back(std::move(s));
      }
      if (absl::Status s = tx.Commit(); !s.ok()) failures.push_back(std::move(s));
    }
    std::vector<std::function<void()>> done;
    {
      absl::MutexLock lock(&mu_);
      done_ = upto;
      ++commits_;
      errors_ += failures.size();
      if (!failures.empty()) last_error_ = std::string(failures.back().message());
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
