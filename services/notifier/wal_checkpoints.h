#pragma once

#include <cstdint>

namespace vigil::notifier {

// When the notifier's store copies its WAL into the database, and by whom (StoreWriter
// runs it; here alone so that its decisions can be tested step by step).
//
// SQLite starts a WAL over only once all of it is in the database. A checkpoint asked for
// after every commit past the threshold chased the writer in small passes under load: a
// page rewritten by many commits (a B-tree's tail) was copied at every pass, about five
// times per cycle, and the WAL grew past the threshold without starting over. So:
//  - the checkpointer thread is asked once per cycle, when the WAL reaches `threshold`;
//  - when its pass is over, a rest of at most `finish` frames the writer copies itself,
//    between its transactions, so that its next one starts the WAL over; a larger rest
//    goes to the checkpointer again;
//  - at `force` frames the writer copies everything itself, whatever else is going on.
class WalCheckpoints {
 public:
  enum class Action { kNone, kAskCheckpointer, kCopyHere };

  WalCheckpoints(int threshold, int finish, int force)
      : threshold_(threshold), finish_(finish), force_(force) {}

  // After a commit that left `wal_frames` frames in the WAL, with the checkpointer asked or
  // at work (`checkpointer_busy`) or not.
  Action OnCommit(int wal_frames, bool checkpointer_busy) {
    if (wal_frames < last_frames_) {  // the WAL started over
      ++cycle_;
      asked_ = false;
      copied_ = 0;
    }
    last_frames_ = wal_frames;
    if (wal_frames >= force_) return Action::kCopyHere;
    if (wal_frames < threshold_) return Action::kNone;
    if (!asked_) {
      asked_ = true;
      return Action::kAskCheckpointer;
    }
    if (checkpointer_busy) return Action::kNone;
    return wal_frames - copied_ <= finish_ ? Action::kCopyHere : Action::kAskCheckpointer;
  }

  // A checkpoint pass, asked in cycle `cycle`, left `copied` frames of the WAL in the
  // database (a pass of a cycle now over says nothing of the new one).
  void OnCopied(uint64_t cycle, int copied) {
    if (cycle == cycle_ && copied > copied_) copied_ = copied;
  }

  uint64_t cycle() const { return cycle_; }

 private:
  const int threshold_, finish_, force_;
  uint64_t cycle_ = 0;
  bool asked_ = false;
  int copied_ = 0;
  int last_frames_ = 0;
};

}  // namespace vigil::notifier
