#include <cstdio>
#include <cstdlib>

#include "cpu/kernel_table.h"
#include "cpu/levels.h"

namespace emb::cpu {
namespace {

// A level's table: the one below it, then the level's own kernels. Only
// built for levels that run here (their fillers use their instructions).
KernelTable build(Isa isa) {
  KernelTable t;
  generic::fill_table(t);
  switch (isa) {
    case Isa::Generic: break;
#if defined(__x86_64__)
    case Isa::Avx512Vnni:
    case Isa::Avx512:
    case Isa::Avx2:
      avx2::fill_table(t);
      if (isa == Isa::Avx2) break;
      avx512::fill_table(t);
      if (isa == Isa::Avx512) break;
      avx512_vnni::fill_table(t);
      break;
#endif
#if defined(__aarch64__)
    case Isa::Neon: neon::fill_table(t); break;
#endif
    default: break;
  }
  return t;
}

}  // namespace

const KernelTable& kernels_for(Isa isa) noexcept {
  if (!isa_runs_here(isa)) {
    // A bug in the caller (tests and benchmarks check isa_runs_here first):
    // running another level's instructions would end in SIGILL anyway.
    std::fprintf(stderr, "embetter: kernels of level %s requested on a CPU that does not run them\n",
                 isa_name(isa).data());
    std::abort();
  }
  switch (isa) {
    case Isa::Generic: { static const KernelTable t = build(Isa::Generic); return t; }
    case Isa::Avx2: { static const KernelTable t = build(Isa::Avx2); return t; }
    case Isa::Avx512: { static const KernelTable t = build(Isa::Avx512); return t; }
    case Isa::Avx512Vnni: { static const KernelTable t = build(Isa::Avx512Vnni); return t; }
    case Isa::Neon: { static const KernelTable t = build(Isa::Neon); return t; }
  }
  std::abort();
}

const KernelTable& kernels() noexcept {
  static const KernelTable& t = kernels_for(cpu_isa());
  return t;
}

}  // namespace emb::cpu
