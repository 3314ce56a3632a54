#include "embetter/threads.h"

#include <Eigen/Core>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/blas_threads.h"

extern "C" {
// OpenBLAS's own controls (declared here to avoid depending on its cblas.h flavour).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace emb {
namespace {
std::atomic<int> g_threads{0};

// While SingleThreadedBlas holders exist, OpenBLAS runs one thread, and
// g_blas_restore is what it gets back when the last one ends: its setting
// before the first, or what set_num_threads asked for meanwhile.
std::mutex g_blas_mutex;
int g_blas_holders = 0;
int g_blas_restore = 0;

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}
}  // namespace

void set_num_threads(int n) {
  if (n <= 0) n = hardware_threads();
  g_threads = n;
  {
    std::lock_guard lock(g_blas_mutex);
    if (g_blas_holders == 0)
      openblas_set_num_threads(n);
    else
      g_blas_restore = n;
  }
  Eigen::setNbThreads(n);
}

int num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : hardware_threads();
}

SingleThreadedBlas::SingleThreadedBlas() {
  std::lock_guard lock(g_blas_mutex);
  if (g_blas_holders++ == 0) {
    g_blas_restore = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  std::lock_guard lock(g_blas_mutex);
  if (--g_blas_holders == 0) openblas_set_num_threads(g_blas_restore);
}

}  // namespace emb
