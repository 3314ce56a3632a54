#include "core/spin_barrier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace emb {
namespace {

/// Every party adds one per round; after the meeting each must see all of the
/// round's additions, and none of the next round's.
void run_rounds(int parties, int rounds, std::chrono::microseconds late_every_8th) {
  SpinBarrier barrier(parties);
  std::atomic<int> added{0};
  std::atomic<int> wrong{0};
  auto party = [&](int id) {
    for (int round = 0; round < rounds; ++round) {
      if (id == 0 && round % 8 == 7) std::this_thread::sleep_for(late_every_8th);
      added.fetch_add(1);
      barrier.arrive_and_wait();
      if (added.load() != parties * (round + 1)) wrong.fetch_add(1);
      barrier.arrive_and_wait();
    }
  };
  std::vector<std::thread> others;
  for (int id = 1; id < parties; ++id) others.emplace_back(party, id);
  party(0);
  for (auto& t : others) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(added.load(), parties * rounds);
}

TEST(SpinBarrier, TwoPartiesMeetEveryRound) { run_rounds(2, 20000, std::chrono::microseconds(0)); }

TEST(SpinBarrier, ThreePartiesMeetEveryRound) { run_rounds(3, 5000, std::chrono::microseconds(0)); }

// A party that arrives long after the spinning stops: the others sleep and
// must be woken.
TEST(SpinBarrier, SleepersAreWoken) { run_rounds(2, 64, std::chrono::milliseconds(3)); }

}  // namespace
}  // namespace emb
