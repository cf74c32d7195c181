#include "services/notifier/wal_checkpoints.h"

#include <gtest/gtest.h>

namespace vigil::notifier {
namespace {

using Action = WalCheckpoints::Action;

// One cycle under load: the checkpointer is asked once, not at every commit past the
// threshold; after its pass a large rest goes to it again, a small one the writer copies;
// then the WAL starts over and the next cycle is asked for again.
TEST(WalCheckpointsTest, OncePerCycleThenTheWriterCopiesTheRest) {
  WalCheckpoints w(/*threshold=*/4000, /*finish=*/256, /*force=*/20000);
  EXPECT_EQ(w.OnCommit(3990, false), Action::kNone);
  EXPECT_EQ(w.OnCommit(4010, false), Action::kAskCheckpointer);
  const uint64_t cycle = w.cycle();
  for (int frames = 4030; frames < 4500; frames += 20) {
    EXPECT_EQ(w.OnCommit(frames, /*checkpointer_busy=*/true), Action::kNone) << frames;
  }
  w.OnCopied(cycle, 4010);  // the pass copied what there was when it began
  EXPECT_EQ(w.OnCommit(4520, false), Action::kAskCheckpointer);  // 510 to go: too many
  w.OnCopied(cycle, 4520);
  EXPECT_EQ(w.OnCommit(4600, false), Action::kCopyHere);  // 80 to go: the writer's
  w.OnCopied(cycle, 4600);
  // The next transaction wrote from the WAL's start: a new cycle.
  EXPECT_EQ(w.OnCommit(12, false), Action::kNone);
  EXPECT_EQ(w.cycle(), cycle + 1);
  EXPECT_EQ(w.OnCommit(4001, false), Action::kAskCheckpointer);
}

// A pass of an earlier cycle says nothing of the new one: no early copy by the writer.
TEST(WalCheckpointsTest, ALatePassOfAnEarlierCycleIsIgnored) {
  WalCheckpoints w(4000, 256, 20000);
  EXPECT_EQ(w.OnCommit(4000, false), Action::kAskCheckpointer);
  const uint64_t old_cycle = w.cycle();
  EXPECT_EQ(w.OnCommit(5, false), Action::kNone);  // started over
  w.OnCopied(old_cycle, 4100);
  EXPECT_EQ(w.OnCommit(4050, false), Action::kAskCheckpointer);
  EXPECT_EQ(w.OnCommit(4100, false), Action::kAskCheckpointer);  // nothing copied yet
}

// Far behind (a reader holding old frames, a slow disk): the writer copies at every commit
// from `force` on, busy checkpointer or not.
TEST(WalCheckpointsTest, TheWriterCopiesEverythingFarBehind) {
  WalCheckpoints w(4000, 256, 20000);
  EXPECT_EQ(w.OnCommit(4000, false), Action::kAskCheckpointer);
  EXPECT_EQ(w.OnCommit(19999, true), Action::kNone);
  EXPECT_EQ(w.OnCommit(20000, true), Action::kCopyHere);
  EXPECT_EQ(w.OnCommit(20100, false), Action::kCopyHere);
}

}  // namespace
}  // namespace vigil::notifier
