#include "encoders/sentence_batches.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "embetter/error.h"
#include "embetter/threads.h"

extern "C" {
// OpenBLAS's own thread control (its cblas.h flavour varies between builds).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace emb::encoders {
namespace {

// OpenBLAS runs each product on the calling thread: per-sequence products are
// small, and its pool's spinning workers cost more than they give (and would
// oversubscribe the cores next to our own threads). Parallelism comes from
// running sequences side by side.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : previous_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SingleThreadedBlas() { openblas_set_num_threads(previous_); }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

void draw_bar(std::size_t done, std::size_t total) {
  constexpr int kWidth = 30;
  const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::fprintf(stderr, "\rBatches: [%.*s%*s] %zu/%zu", filled, "##############################", kWidth - filled, "",
               done, total);
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

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
  const SingleThreadedBlas blas;

  const std::size_t batches = (n + options.batch_size - 1) / options.batch_size;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t begin = b * options.batch_size, end = std::min(n, begin + options.batch_size);
    std::atomic<std::size_t> next{begin};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&](std::size_t w) {
      try {
        for (std::size_t i = next++; i < end; i = next++) {
          const std::size_t row = order[i];
          model.embed(sequences[row], workspaces[w], out.row(row));
        }
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = end;
      }
    };
    const std::size_t helpers = std::min(threads, end - begin) - 1;
    std::vector<std::thread> pool;
    pool.reserve(helpers);
    for (std::size_t w = 1; w <= helpers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    if (options.show_progress_bar && !options.progress) draw_bar(b + 1, batches);
    report_progress(options.progress, end, n, "SentenceEncoder.encode");
  }
  return out;
}

}  // namespace emb::encoders
