// The AVX2 level (AVX2 + FMA + F16C): the vec8 kernels of cpu/simd/ compiled
// with this file's flags (cpu/CMakeLists.txt), in namespace emb::cpu::avx2.
#define EMB_SIMD_NAMESPACE avx2
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
#include "cpu/avx2/avx2.h"

namespace emb::cpu::avx2 {

void fill_table(KernelTable& t) {
  t.isa = Isa::Avx2;
  fill_vec8_entries(t);
  fill_sparse_entries(t);
  // int16 weights: the tile loads them instead of sign-extending bytes
  // (~15% on the tile alone, ~3% on MiniLM's products). Blocks of 48 rows:
  // 24, 48 and 96 measured within noise of each other on MiniLM's products,
  // 48 the best by a little.
  t.int8_wide_weights = true;
  t.int8_rows = 48;
  t.int8_q_bytes = int8_q_bytes;
  t.int8_block = int8_block;
}

}  // namespace emb::cpu::avx2
