#include "cpu/generic/generic.h"

namespace emb::cpu::generic {

void fill_table(KernelTable& t) {
  t.isa = Isa::Generic;
  t.gemm_packed = gemm_packed;
  t.bias_activation = bias_activation;
  t.residual_layer_norm = residual_layer_norm;
  t.softmax_rows = softmax_rows;
  t.attention_head = nullptr;   // ops.cc's BLAS path
  t.attention_supports = [](std::size_t) { return false; };
  t.attention_scratch_floats = [](std::size_t, std::size_t) -> std::size_t { return 0; };
  t.sum_rows = sum_rows;
  t.max_rows = max_rows;
  t.int8_q_bytes = int8_q_bytes;
  t.int8_block = int8_block;
  t.csr_times_block = csr_times_block;
  t.csr_gram_block = csr_gram_block;
  t.csr_gram_block_double = csr_gram_block_double;
  t.adam = adam;
  t.round_to_half = round_to_half;
}

}  // namespace emb::cpu::generic
