#pragma once
// The instruction-set levels the kernels are compiled for, in one ordered
// list, and the one place that asks the CPU which of them it runs (issue 13).
// Every kernel dispatch in the project goes through cpu_isa() or, for tests
// and benchmarks that compare levels, an explicit Isa checked with
// isa_runs_here().
//
// A level includes the ones before it on its architecture:
//   x86-64:  generic < avx2 (AVX2 + FMA + F16C) < avx512 (F, VL, DQ, BW) < avx512_vnni
//   aarch64: generic < neon
// EMB_ISA=<level> in the environment caps the level (to test or compare a
// narrower path); it never raises it past what the CPU runs.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace emb {

enum class Isa : std::uint8_t { Generic, Avx2, Avx512, Avx512Vnni, Neon };

/// Every level, in the order above.
inline constexpr Isa kAllIsas[] = {Isa::Generic, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Neon};

/// "generic", "avx2", "avx512", "avx512_vnni", "neon".
std::string_view isa_name(Isa isa) noexcept;

/// The level of a name (also "avx512-vnni"); nullopt for anything else.
std::optional<Isa> parse_isa(std::string_view name) noexcept;

/// Whether `level` includes everything `feature` needs: the same level, an
/// earlier one on the same architecture, or generic.
bool isa_includes(Isa level, Isa feature) noexcept;

/// The widest level this CPU runs, whatever EMB_ISA says.
Isa detected_isa() noexcept;

/// The level the kernels run at: detected_isa(), capped by EMB_ISA. Read
/// once; an EMB_ISA that names no level, or a level of another architecture,
/// is reported on stderr once and ignored.
Isa cpu_isa() noexcept;

/// The level EMB_ISA=`requested` gives on a CPU whose widest level is
/// `detected` (cpu_isa()'s rule, for tests): the widest level both include.
Isa cap_isa(Isa detected, Isa requested) noexcept;

/// Whether kernels of `level` can run on this CPU (ignores EMB_ISA).
bool isa_runs_here(Isa level) noexcept;

/// Every level that runs on this CPU, narrowest first (ignores EMB_ISA):
/// what the kernel tests compare.
std::vector<Isa> runnable_isas();

}  // namespace emb
