#pragma once
// The AVX-512 VNNI level's own kernels (the int8 product); the rest of its
// table is the AVX-512 level's.
#include "cpu/kernel_table.h"

namespace emb::cpu::avx512_vnni {

std::size_t int8_q_bytes(std::size_t rows, std::size_t k);
void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s);
void fill_table(KernelTable& t);

}  // namespace emb::cpu::avx512_vnni
