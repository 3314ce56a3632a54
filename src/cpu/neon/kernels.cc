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
#include "cpu/simd/sparse.h"
#include "cpu/simd/train.h"
// (last: the table entries of everything above)
#include "cpu/simd/fill_table.h"
#include "cpu/levels.h"

namespace emb::cpu::neon {
namespace {

// The generic integer product (bitwise every level's), then this level's
// epilogue, as the product's callers compare it with bias_activation.
void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s) {
  generic::int8_block(x, ldx, rows, w, y, ldy, Epilogue{}, s);
  if (epilogue.bias || epilogue.activation != Activation::Identity)
    for (std::size_t r = 0; r < rows; ++r) bias_activation(y + r * ldy, 1, w.n, epilogue.bias, epilogue.activation);
}

}  // namespace

void fill_table(KernelTable& t) {
  t.isa = Isa::Neon;
  fill_vec8_entries(t);
  fill_sparse_entries(t);
  t.int8_block = int8_block;
}

}  // namespace emb::cpu::neon
