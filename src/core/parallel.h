#pragma once
// Two ways to spread work over threads (the calling thread is one of them):
// hand out indices one at a time (body finetuning's attention: (sequence,
// head) pairs; ClipEncoder: one run of a batch per thread), or split an array
// into one contiguous chunk per thread (body finetuning's element-wise
// steps). Neither changes what is computed, only who computes it, so results
// do not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "embetter/threads.h"

namespace emb {

/// Runs f(index, worker) for every index in [0, count) on up to `workers`
/// threads, each taking the next index; the first exception is rethrown here
/// once every thread has stopped.
template <class F>
void for_each_index(std::size_t count, std::size_t workers, F&& f) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](std::size_t w) {
    try {
      for (std::size_t i = next++; i < count; i = next++) f(i, w);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = count;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers > 0 ? workers - 1 : 0);
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// Splits [0, n) into one contiguous chunk per thread (emb::num_threads(),
/// fewer when a chunk would hold under `min_chunk` items: starting a thread
/// costs tens of microseconds) and runs f(begin, end) on each.
template <class F>
void for_each_chunk(std::size_t n, std::size_t min_chunk, F&& f) {
  const std::size_t threads = static_cast<std::size_t>(std::max(1, num_threads()));
  const std::size_t chunks = std::clamp<std::size_t>(n / std::max<std::size_t>(min_chunk, 1), 1, threads);
  if (chunks == 1) return f(std::size_t{0}, n);
  const std::size_t size = (n + chunks - 1) / chunks;
  for_each_index(chunks, chunks, [&](std::size_t c, std::size_t) {
    const std::size_t begin = c * size, end = std::min(n, begin + size);
    if (begin < end) f(begin, end);
  });
}

}  // namespace emb
