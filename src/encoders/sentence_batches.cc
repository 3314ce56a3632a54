#include "encoders/sentence_batches.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/blas_threads.h"
#include "embetter/error.h"
#include "embetter/threads.h"

namespace emb::encoders {
namespace {

// Cuts sequences [begin, end) (longest first) into runs that are computed
// together: large enough that the products over their tokens run near the
// GEMM's speed, small enough that a run's activations stay in cache, and a
// multiple of the thread count so that the threads share the work evenly.
// At most kMaxRows tokens: a token's activations take 15 KB in MiniLM-L6
// (hidden, query/key/value, context, projection, feed-forward), so 512 rows
// are ~7.5 MB per thread next to ~7 MB of a layer's weights in a shared L3.
// Interleaved with 1024 in one process (1 thread short texts, whose batches
// of ~800 tokens then make two runs instead of one): faster in 17-22 of 24
// rounds, median paired ratio 1.013-1.056; two threads +1.3-1.7%.
// Appends each run's end (one past its last index) to run_ends.
void append_runs(std::span<const std::span<const std::int32_t>> views, std::size_t begin, std::size_t end,
                 std::size_t threads, std::vector<std::size_t>& run_ends) {
  constexpr std::size_t kMaxRows = 512;
  std::size_t tokens = 0;
  for (std::size_t i = begin; i < end; ++i) tokens += views[i].size();
  const std::size_t per_thread = (tokens + threads - 1) / threads;
  const std::size_t runs = threads * ((per_thread + kMaxRows - 1) / kMaxRows);
  const std::size_t target = (tokens + runs - 1) / runs;
  std::size_t run = 0;
  for (std::size_t i = begin; i + 1 < end; ++i) {
    run += views[i].size();
    if (run >= target) {
      run_ends.push_back(i + 1);
      run = 0;
    }
  }
  run_ends.push_back(end);
}

}  // namespace

void draw_batches_bar(std::size_t done, std::size_t total) {
  constexpr int kWidth = 30;
  const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::fprintf(stderr, "\rBatches: [%.*s%*s] %zu/%zu", filled, "##############################", kWidth - filled, "",
               done, total);
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

Matrix embed_sequences(const SentenceModel& model, std::span<const std::vector<std::int32_t>> sequences,
                       const BatchOptions& options) {
  EMB_CHECK(options.batch_size > 0, "encode: batch_size must be positive");
  const std::size_t n = sequences.size();
  Matrix out(n, model.dim());
  if (n == 0) return out;

  // Longest first, as sentence-transformers orders its batches; stable so
  // that equal lengths keep their input order.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sequences[a].size() > sequences[b].size(); });

  const int wanted = options.num_threads > 0 ? options.num_threads : num_threads();
  const std::size_t threads = std::max<std::size_t>(1, std::min<std::size_t>(wanted, options.batch_size));
  std::vector<SentenceModel::Workspace> workspaces(threads);
  // OpenBLAS (attention's per-sequence products where our kernels do not
  // run, the generic level) runs on the calling thread: those products are
  // small, and its pool's spinning workers cost more than they give next to
  // our own threads. Parallelism comes from running sequences side by side.
  const SingleThreadedBlas blas;

  std::vector<std::span<const std::int32_t>> views(n);
  std::vector<float*> targets(n);
  for (std::size_t i = 0; i < n; ++i) {
    views[i] = sequences[order[i]];
    targets[i] = out.row(order[i]).data();
  }
  const std::size_t batches = (n + options.batch_size - 1) / options.batch_size;
  const std::size_t offset = options.progress_offset;
  const std::size_t total = std::max(options.progress_total, offset + n);
  const std::size_t batches_before = offset / options.batch_size;
  const std::size_t batches_total = (total + options.batch_size - 1) / options.batch_size;

  // Every batch's runs in one queue: a thread that finishes its last run of
  // a batch takes the next batch's first instead of waiting for the other
  // threads at each batch's end (on long texts a run of 1,024 tokens took
  // ~0.1 s, and ~6% of two threads' time was lost that way). Runs never
  // span batches, so progress is still counted by batch.
  std::vector<std::size_t> run_begin{0}, run_batch;   // run r: [run_begin[r], run_begin[r + 1])
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t begin = b * options.batch_size, end = std::min(n, begin + options.batch_size);
    append_runs(views, begin, end, threads, run_begin);
    run_batch.resize(run_begin.size() - 1, b);
  }
  const std::size_t runs = run_batch.size();
  std::vector<std::atomic<std::size_t>> runs_left(batches);
  for (std::size_t r = 0; r < runs; ++r) runs_left[run_batch[r]].fetch_add(1, std::memory_order_relaxed);

  // Batches are reported in order, on the calling thread only (the progress
  // callback may check Python's signals, which only the main thread may do).
  std::size_t reported = 0;
  auto report_finished_batches = [&] {
    for (; reported < batches && runs_left[reported].load(std::memory_order_acquire) == 0; ++reported) {
      if (options.show_progress_bar) draw_batches_bar(batches_before + reported + 1, batches_total);
      report_progress(options.progress, offset + std::min(n, (reported + 1) * options.batch_size), total,
                      "SentenceEncoder.encode");
    }
  };
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](std::size_t w) {
    try {
      for (std::size_t r = next++; r < runs; r = next++) {
        const std::size_t first = run_begin[r], count = run_begin[r + 1] - first;
        model.embed_batch(std::span(views).subspan(first, count), workspaces[w],
                          std::span(targets).subspan(first, count));
        runs_left[run_batch[r]].fetch_sub(1, std::memory_order_release);
        if (w == 0) report_finished_batches();
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = runs;
    }
  };
  const std::size_t helpers = std::min(threads, runs) - 1;
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (std::size_t w = 1; w <= helpers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  report_finished_batches();   // those the helpers finished last
  return out;
}

}  // namespace emb::encoders
