#pragma once
// The AVX2 level's kernels outside cpu/simd/ (x86-only instructions).
#include "cpu/kernel_table.h"

namespace emb::cpu::avx2 {

/// cpu/simd/transformer.h's, as compiled for this level (kernels.cc).
void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act);
std::size_t int8_q_bytes(std::size_t rows, std::size_t k);
void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s);
void fill_table(KernelTable& t);

}  // namespace emb::cpu::avx2
