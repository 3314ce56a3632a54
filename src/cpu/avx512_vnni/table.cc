#include "cpu/avx512_vnni/vnni.h"
#include "cpu/levels.h"

namespace emb::cpu::avx512_vnni {

void fill_table(KernelTable& t) {
  t.isa = Isa::Avx512Vnni;
  t.int8_wide_weights = false;   // vpdpbusd takes the bytes as they are
  // 24-row blocks keep a block's y (24 × n floats, ≤ 147 KiB on MiniLM) in L2
  // beside W: with 96 rows y pushed W out to L3 (MiniLM's four products at
  // m = 900 went from ~175 to ~205 GOP/s, short texts +10%).
  t.int8_rows = 24;
  t.int8_q_bytes = int8_q_bytes;
  t.int8_block = int8_block;
}

}  // namespace emb::cpu::avx512_vnni
