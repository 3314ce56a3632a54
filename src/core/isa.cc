#include "core/isa.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "embetter/isa.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace emb {
namespace {

// Which architecture a level belongs to (generic belongs to every one).
enum class Arch { Any, X86, Arm };

Arch arch_of(Isa isa) noexcept {
  switch (isa) {
    case Isa::Generic: return Arch::Any;
    case Isa::Neon: return Arch::Arm;
    default: return Arch::X86;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// CPUID leaf 1, ECX bit 29. Asked directly because clang's
// __builtin_cpu_supports does not know "f16c" (the fuzzing and sanitizer
// builds use clang); the OS-saves-YMM check comes with "avx2" in detect().
bool has_f16c() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}
#endif

// Features rather than CPU model names: GCC's target_clones("arch=...")
// compares the model, which virtual machines often report as a generic one.
// libgcc's __builtin_cpu_supports also checks that the OS saves the wider
// registers (XGETBV), so a level reported here can run.
Isa detect() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
  if (!avx2) return Isa::Generic;
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  if (!avx512) return Isa::Avx2;
  return __builtin_cpu_supports("avx512vnni") ? Isa::Avx512Vnni : Isa::Avx512;
#elif defined(__aarch64__)
  return Isa::Neon;   // Advanced SIMD is part of every AArch64 CPU
#else
  return Isa::Generic;
#endif
}

Isa from_environment() noexcept {
  const Isa detected = detected_isa();
  const char* value = std::getenv("EMB_ISA");
  if (!value || !*value) return detected;
  const auto requested = parse_isa(value);
  if (!requested) {
    std::fprintf(stderr,
                 "embetter: EMB_ISA='%s' is not a level (expected generic, avx2, avx512, avx512_vnni or neon); "
                 "using %s\n",
                 value, isa_name(detected).data());
    return detected;
  }
  if (arch_of(*requested) != Arch::Any && arch_of(detected) != Arch::Any &&
      arch_of(*requested) != arch_of(detected)) {
    std::fprintf(stderr, "embetter: EMB_ISA='%s' is a level of another architecture; using %s\n", value,
                 isa_name(detected).data());
    return detected;
  }
  return cap_isa(detected, *requested);
}

}  // namespace

std::string_view isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Avx512Vnni: return "avx512_vnni";
    case Isa::Neon: return "neon";
  }
  return "generic";
}

std::optional<Isa> parse_isa(std::string_view name) noexcept {
  for (Isa isa : kAllIsas)
    if (name == isa_name(isa)) return isa;
  if (name == "avx512-vnni") return Isa::Avx512Vnni;
  return std::nullopt;
}

bool isa_includes(Isa level, Isa feature) noexcept {
  if (feature == Isa::Generic) return true;
  return arch_of(level) == arch_of(feature) && static_cast<int>(feature) <= static_cast<int>(level);
}

Isa cap_isa(Isa detected, Isa requested) noexcept {
  if (isa_includes(detected, requested)) return requested;
  // Above the CPU (or of another architecture): the CPU's own level.
  return detected;
}

Isa detected_isa() noexcept {
  static const Isa isa = detect();
  return isa;
}

Isa cpu_isa() noexcept {
  static const Isa isa = from_environment();
  return isa;
}

bool isa_runs_here(Isa level) noexcept { return isa_includes(detected_isa(), level); }

std::vector<Isa> runnable_isas() {
  std::vector<Isa> out;
  for (Isa isa : kAllIsas)
    if (isa_runs_here(isa)) out.push_back(isa);
  return out;
}

std::string kernel_isa() { return std::string(isa_name(cpu_isa())); }

std::vector<std::string> runnable_kernel_isas() {
  std::vector<std::string> out;
  for (Isa isa : runnable_isas()) out.emplace_back(isa_name(isa));
  return out;
}

}  // namespace emb
