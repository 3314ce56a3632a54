#pragma once
// A reusable barrier that waits awake before it sleeps, for threads that meet
// every few tens of microseconds (the FeedForwardTuner's two-thread step meets
// twice per minibatch). std::barrier sleeps on a futex after a few tries, and
// waking a sleeping thread costs tens of microseconds on a virtual machine: at
// 7,000 meetings per fit that was most of what the second core gained. Pure
// spinning won that back on an idle machine but lost 1.7× when another
// process wanted the cores; yielding after a short spin keeps both.
#include <atomic>
#include <cstdint>
#include <thread>

namespace emb {

class SpinBarrier {
 public:
  explicit SpinBarrier(int parties) : parties_(parties) {}
  SpinBarrier(const SpinBarrier&) = delete;
  SpinBarrier& operator=(const SpinBarrier&) = delete;

  void arrive_and_wait() {
    const std::uint32_t generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_seq_cst);
      if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
      return;
    }
    // A partner that is mid-step arrives within tens of microseconds: wait
    // for it awake, first spinning, then yielding the core, so that on a busy
    // machine whoever else wants this core (the partner itself, perhaps) gets it.
    for (int spin = 0; spin < kSpins + kYields; ++spin) {
      if (generation_.load(std::memory_order_acquire) != generation) return;
      if (spin < kSpins)
        pause();
      else
        std::this_thread::yield();
    }
    // seq_cst on both sides: either the last arriver sees us sleeping and
    // notifies, or we see its new generation and never sleep.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    while (generation_.load(std::memory_order_seq_cst) == generation) generation_.wait(generation);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  static constexpr int kSpins = 1 << 8, kYields = 1 << 7;

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#else
    std::this_thread::yield();
#endif
  }

  const int parties_;
  std::atomic<int> arrived_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<std::uint32_t> generation_{0};
};

}  // namespace emb
