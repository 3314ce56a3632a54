#pragma once
/// @file isa.h
/// Which instruction-set level embetter's kernels run at. The library is one
/// binary for every CPU of its architecture: kernels are compiled once per
/// level (x86-64: generic, avx2, avx512, avx512_vnni; aarch64: generic, neon)
/// and the widest one this CPU runs is chosen once, at first use.
/// EMB_ISA=<level> in the environment caps it (to compare, or to test a
/// narrower path); it never raises it past the CPU.
#include <string>
#include <vector>

namespace emb {

/// The level the kernels run at, e.g. "avx512_vnni", "avx2", "neon", "generic".
std::string kernel_isa();

/// Every level this CPU runs, narrowest first (whatever EMB_ISA says).
std::vector<std::string> runnable_kernel_isas();

}  // namespace emb
