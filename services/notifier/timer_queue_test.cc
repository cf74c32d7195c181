// The dispatcher's group timers: earliest first, one deadline per key, due keys in key order.

#include "services/notifier/timer_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace vigil::notifier {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr TimestampMs kNone = -1;

TEST(TimerQueueTest, NextIsTheEarliestDeadline) {
  TimerQueue<std::string> q;
  EXPECT_EQ(q.Next(kNone), kNone);
  q.Schedule("b", 30);
  q.Schedule("a", 20);
  q.Schedule("c", 40);
  EXPECT_EQ(q.Next(kNone), 20);
  q.Schedule("a", 50);  // moved later: one deadline per key
  EXPECT_EQ(q.Next(kNone), 30);
  EXPECT_EQ(q.size(), 3u);
  q.Schedule("c", 10);  // and earlier
  EXPECT_EQ(q.Next(kNone), 10);
  q.Cancel("c");
  q.Cancel("missing");
  EXPECT_EQ(q.Next(kNone), 30);
  EXPECT_EQ(q.size(), 2u);
}

TEST(TimerQueueTest, PopDueTakesWhatIsDueInKeyOrder) {
  TimerQueue<std::string> q;
  q.Schedule("z", 10);
  q.Schedule("m", 5);
  q.Schedule("a", 10);
  q.Schedule("later", 11);
  EXPECT_THAT(q.PopDue(4), IsEmpty());
  EXPECT_THAT(q.PopDue(10), ElementsAre("a", "m", "z"));
  EXPECT_THAT(q.PopDue(10), IsEmpty());  // removed
  EXPECT_EQ(q.Next(kNone), 11);
  q.Schedule("m", 11);  // rescheduled after it fired
  EXPECT_THAT(q.PopDue(100), ElementsAre("later", "m"));
  EXPECT_EQ(q.size(), 0u);
  q.Schedule("x", 1);
  q.Clear();
  EXPECT_EQ(q.Next(kNone), kNone);
}

// The dispatcher's keys are pointers, ordered by the name they point to: due keys come out
// in that order, not in the order of their addresses.
TEST(TimerQueueTest, PopDueOrdersPointerKeysByTheirLess) {
  struct Named {
    std::string name;
  };
  struct ByName {
    bool operator()(const Named* a, const Named* b) const { return a->name < b->name; }
  };
  const std::array<Named, 3> named = {Named{"z"}, Named{"m"}, Named{"a"}};  // reverse
  TimerQueue<const Named*, ByName> q;
  for (const Named& n : named) q.Schedule(&n, 10);
  std::vector<std::string> due;
  for (const Named* n : q.PopDue(10)) due.push_back(n->name);
  EXPECT_THAT(due, ElementsAre("a", "m", "z"));
}

}  // namespace
}  // namespace vigil::notifier
