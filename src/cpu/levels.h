#pragma once
// Each level's table filler (cpu/<level>/table.cc): replaces the entries of
// the table below it that the level has its own kernels for. A filler is
// compiled with its level's flags, so it is only called where that level runs.
#include "cpu/kernel_table.h"

namespace emb::cpu {
namespace generic {
void fill_table(KernelTable& t);
}
#if defined(__x86_64__)
namespace avx2 {
void fill_table(KernelTable& t);
}
namespace avx512 {
void fill_table(KernelTable& t);
}
namespace avx512_vnni {
void fill_table(KernelTable& t);
}
#endif
#if defined(__aarch64__)
namespace neon {
void fill_table(KernelTable& t);
}
#endif
}  // namespace emb::cpu
