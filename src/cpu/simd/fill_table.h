#pragma once
// The entries of a vec8 level's table (AVX2, NEON): what cpu/simd/ defines.
// Include last, after the other cpu/simd headers.

namespace emb::cpu::EMB_SIMD_NAMESPACE {

inline void fill_vec8_entries(KernelTable& t) {
  t.gemm_packed = gemm_packed;
  t.bias_activation = bias_activation;
  t.residual_layer_norm = residual_layer_norm;
  t.softmax_rows = softmax_rows;
  t.attention_head = attention_head;
  t.attention_supports = attention_supports;
  t.attention_scratch_floats = attention_scratch_floats;
  t.sum_rows = sum_rows;
  t.max_rows = max_rows;
  t.adam = adam;
  t.ff_hidden = ff_hidden;
  t.ff_partial_logits = ff_partial_logits;
  t.ff_hidden_gradients = ff_hidden_gradients;
  t.ff_first_layer_adam = ff_first_layer_adam;
  t.round_to_half = round_to_half;
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
