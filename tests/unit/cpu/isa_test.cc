// The instruction-set levels (core/isa.h): names, the order, EMB_ISA's cap,
// and what this CPU runs.
#include "core/isa.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cpu/kernel_table.h"

namespace emb {
namespace {

TEST(Isa, NamesRoundTrip) {
  for (Isa isa : kAllIsas) EXPECT_EQ(parse_isa(isa_name(isa)), isa) << isa_name(isa);
  EXPECT_EQ(parse_isa("avx512-vnni"), Isa::Avx512Vnni);
  EXPECT_EQ(parse_isa("AVX2"), std::nullopt);
  EXPECT_EQ(parse_isa("sse4"), std::nullopt);
  EXPECT_EQ(parse_isa(""), std::nullopt);
}

TEST(Isa, LevelsIncludeTheNarrowerOnesOfTheirArchitecture) {
  EXPECT_TRUE(isa_includes(Isa::Avx512Vnni, Isa::Avx2));
  EXPECT_TRUE(isa_includes(Isa::Avx512, Isa::Avx512));
  EXPECT_TRUE(isa_includes(Isa::Avx2, Isa::Generic));
  EXPECT_TRUE(isa_includes(Isa::Neon, Isa::Generic));
  EXPECT_FALSE(isa_includes(Isa::Avx2, Isa::Avx512));
  EXPECT_FALSE(isa_includes(Isa::Avx512, Isa::Avx512Vnni));
  EXPECT_FALSE(isa_includes(Isa::Neon, Isa::Avx2));
  EXPECT_FALSE(isa_includes(Isa::Avx512Vnni, Isa::Neon));
  EXPECT_FALSE(isa_includes(Isa::Generic, Isa::Avx2));
}

TEST(Isa, EnvironmentCapsButNeverRaisesTheLevel) {
  EXPECT_EQ(cap_isa(Isa::Avx512Vnni, Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(cap_isa(Isa::Avx512Vnni, Isa::Generic), Isa::Generic);
  EXPECT_EQ(cap_isa(Isa::Avx2, Isa::Avx512), Isa::Avx2);      // never past the CPU
  EXPECT_EQ(cap_isa(Isa::Avx512, Isa::Avx512Vnni), Isa::Avx512);
  EXPECT_EQ(cap_isa(Isa::Generic, Isa::Avx2), Isa::Generic);
  EXPECT_EQ(cap_isa(Isa::Neon, Isa::Generic), Isa::Generic);
}

TEST(Isa, ThisCpuRunsItsLevelAndEveryNarrowerOne) {
  const auto levels = runnable_isas();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), Isa::Generic);
  EXPECT_EQ(levels.back(), detected_isa());
  for (Isa isa : kAllIsas) EXPECT_EQ(isa_runs_here(isa), isa_includes(detected_isa(), isa)) << isa_name(isa);
  // cpu_isa() is the detected level capped by EMB_ISA (ctest runs some
  // suites with EMB_ISA=generic and avx2).
  EXPECT_TRUE(isa_runs_here(cpu_isa()));
  if (const char* env = std::getenv("EMB_ISA"); env && parse_isa(env)) {
    EXPECT_EQ(cpu_isa(), cap_isa(detected_isa(), *parse_isa(env)));
  }
  for (Isa isa : levels) EXPECT_EQ(cpu::kernels_for(isa).isa, isa);
  EXPECT_EQ(cpu::kernels().isa, cpu_isa());
  std::printf("levels this CPU runs:");
  for (Isa isa : levels) std::printf(" %s", std::string(isa_name(isa)).c_str());
  std::printf("; the library runs %s\n", std::string(isa_name(cpu_isa())).c_str());
}

}  // namespace
}  // namespace emb
