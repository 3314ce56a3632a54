// The NEON level (AArch64 Advanced SIMD): the vec8 kernels of cpu/simd/, an
// F8 being two 128-bit registers, in namespace emb::cpu::neon. Verified under
// qemu-aarch64 against the generic kernels and the fixtures' goldens (speed
// is not measured on this project's machines).
#define EMB_SIMD_NAMESPACE neon
#include "cpu/simd/vec8.h"
// (vec8.h first: the kernels below are written on its F8.)
#include "cpu/simd/transformer.h"
// (transformer.h before the attention, which uses its softmax numerators.)
#include "cpu/simd/attention.h"
#include "cpu/simd/gemm.h"
#include "cpu/simd/train.h"
// (last: the table entries of everything above)
#include "cpu/simd/fill_table.h"
#include "cpu/levels.h"

namespace emb::cpu::neon {

void fill_table(KernelTable& t) {
  t.isa = Isa::Neon;
  fill_vec8_entries(t);
}

}  // namespace emb::cpu::neon
