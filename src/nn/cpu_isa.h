#pragma once
// The instruction sets the CPU kernels can use, detected once at run time
// (the library is built for baseline x86-64; wider code paths are compiled
// per function with target attributes and chosen here).
#include <string_view>

namespace emb::nn {

enum class Isa { Generic, Avx512 };

/// The widest code path this CPU runs. EMB_ISA=generic in the environment
/// forces the portable path (to test it, or to compare).
Isa cpu_isa() noexcept;

std::string_view isa_name(Isa isa) noexcept;

}  // namespace emb::nn
