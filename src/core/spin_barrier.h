#pragma once
// A reusable barrier that spins before it sleeps, for threads that meet
// every few tens of microseconds (the FeedForwardTuner's two-thread step meets
// twice per minibatch). std::barrier sleeps on a futex after a few tries, and
// waking a sleeping thread costs 10–50 µs on a virtual machine: at 7,000
// meetings per fit that was most of what the second core gained.
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
    // 2¹¹ pauses (50 µs on Zen 4) cover a partner that is mid-step; past that it
    // is doing something else (the end of a fit, a descheduled core) and we sleep.
    for (int spin = 0; spin < kSpins; ++spin) {
      if (generation_.load(std::memory_order_acquire) != generation) return;
      pause();
    }
    // seq_cst on both sides: either the last arriver sees us sleeping and
    // notifies, or we see its new generation and never sleep.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    while (generation_.load(std::memory_order_seq_cst) == generation) generation_.wait(generation);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  static constexpr int kSpins = 1 << 11;

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
