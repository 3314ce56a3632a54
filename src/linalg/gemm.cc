#include "linalg/gemm.h"

#include <oneapi/dnnl/dnnl.h>

#include "embetter/error.h"
#include "linalg/omp_threads.h"

namespace emb::linalg {

void sgemm(bool trans_a, bool trans_b, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* a,
           Eigen::Index lda, const float* b, Eigen::Index ldb, float beta, float* c, Eigen::Index ldc) {
  if (m == 0 || n == 0) return;
  use_omp_threads(2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k));
  const dnnl_status_t status =
      dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  EMB_CHECK(status == dnnl_success, "oneDNN sgemm failed (status ", static_cast<int>(status), ") on a ", m, "×", k,
            " by ", k, "×", n, " product");
}

}  // namespace emb::linalg
