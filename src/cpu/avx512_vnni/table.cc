#include "cpu/avx512_vnni/vnni.h"
#include "cpu/levels.h"

namespace emb::cpu::avx512_vnni {

void fill_table(KernelTable& t) {
  t.isa = Isa::Avx512Vnni;
  t.int8_wide_weights = false;   // vpdpbusd takes the bytes as they are
  t.int8_q_bytes = int8_q_bytes;
  t.int8_block = int8_block;
}

}  // namespace emb::cpu::avx512_vnni
