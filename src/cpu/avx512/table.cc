#include "cpu/avx512/math.h"
#include "cpu/levels.h"

namespace emb::cpu::avx512 {

void fill_table(KernelTable& t) {
  t.isa = Isa::Avx512;
  // A tile reads three 16-column vectors per step of k: one 192-byte stream
  // of 48-column panels ran short texts ~4% faster than three streams of
  // 16-column panels.
  t.packed_panel = kPackedPanelWide;
  t.gemm_packed = gemm_packed;
  t.bias_activation = bias_activation;
  t.residual_layer_norm = residual_layer_norm;
  t.softmax_rows = softmax_rows;
  t.attention_head = attention_head;
  t.attention_supports = attention_supports;
  t.attention_scratch_floats = attention_scratch_floats;
  t.csr_times_block = csr_times_block;
  t.csr_gram_block = csr_gram_block;
  t.csr_gram_block_double = csr_gram_block_double;
  t.adam = adam;
  t.ff_hidden = ff_hidden;
  t.ff_partial_logits = ff_partial_logits;
  t.ff_hidden_gradients = ff_hidden_gradients;
  t.ff_first_layer_adam = ff_first_layer_adam;
}

}  // namespace emb::cpu::avx512
