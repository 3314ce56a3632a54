#include "nn/cpu_isa.h"

#include <cstdlib>
#include <string_view>

#include "core/cpu_features.h"

namespace emb::nn {
namespace {

Isa detect() noexcept {
  if (const char* forced = std::getenv("EMB_ISA"); forced && std::string_view(forced) == "generic") return Isa::Generic;
  return cpu::has_avx512() ? Isa::Avx512 : Isa::Generic;
}

}  // namespace

Isa cpu_isa() noexcept {
  static const Isa isa = detect();
  return isa;
}

std::string_view isa_name(Isa isa) noexcept { return isa == Isa::Avx512 ? "avx512" : "generic"; }

}  // namespace emb::nn
