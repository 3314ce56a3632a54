#include "embetter/threads.h"

#include <Eigen/Core>
#include <atomic>
#include <thread>

extern "C" {
// OpenBLAS's own controls (declared here to avoid depending on its cblas.h flavour).
void openblas_set_num_threads(int num_threads);
}

namespace emb {
namespace {
std::atomic<int> g_threads{0};

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}
}  // namespace

void set_num_threads(int n) {
  if (n <= 0) n = hardware_threads();
  g_threads = n;
  openblas_set_num_threads(n);
  Eigen::setNbThreads(n);
}

int num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : hardware_threads();
}

}  // namespace emb
