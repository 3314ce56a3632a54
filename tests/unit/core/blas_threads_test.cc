// OpenBLAS's one process-wide thread setting under concurrent encoders
// (issue 18: each encode() saved and restored it on its own, so two
// overlapping calls could leave it at one thread for good).
#include "core/blas_threads.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "embetter/threads.h"

extern "C" int openblas_get_num_threads(void);

namespace emb {
namespace {

TEST(SingleThreadedBlas, OverlappingHoldersRestoreTheSettingOnce) {
  set_num_threads(2);
  ASSERT_EQ(openblas_get_num_threads(), 2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 2000; ++i) {
        const SingleThreadedBlas one;
        EXPECT_EQ(openblas_get_num_threads(), 1);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST(SingleThreadedBlas, ASettingMadeWhileHeldAppliesAtTheEnd) {
  set_num_threads(2);
  {
    const SingleThreadedBlas outer;
    set_num_threads(1);
    set_num_threads(3);
    EXPECT_EQ(openblas_get_num_threads(), 1);
    const SingleThreadedBlas inner;
  }
  EXPECT_EQ(openblas_get_num_threads(), 3);
  set_num_threads(0);
}

}  // namespace
}  // namespace emb
