// Rounding to IEEE half precision and back, as numpy's float16 cast does
// (round to nearest even), through Eigen::half's software conversion.
#include <Eigen/Core>

#include "cpu/generic/generic.h"

namespace emb::cpu::generic {

void round_to_half(float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(Eigen::half(v[i]));
}

}  // namespace emb::cpu::generic
