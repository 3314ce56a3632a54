// bench/cpu_mask's AVX2-only CPU (ctest preloads libemb_avx2_only.so into
// this suite): CPUID shows no AVX-512 on this thread, on new threads and
// after fork(), our own detection stops at avx2, and a fault that is not
// CPUID still kills the process or reaches the program's own handler.
// encoder_vs_references.py --cpu-as avx2 relies on all of it.
#include <cpuid.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/isa.h"

namespace emb {
namespace {

struct Leaf7 {
  unsigned ebx = 0, ecx = 0;
};

Leaf7 leaf7() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  return {ebx, ecx};
}

bool shows_avx512(Leaf7 l) {
  constexpr unsigned kAvx512F = 1u << 16, kAvx512Bw = 1u << 30, kAvx512Vl = 1u << 31, kVnni = 1u << 11;
  return (l.ebx & (kAvx512F | kAvx512Bw | kAvx512Vl)) != 0 || (l.ecx & kVnni) != 0;
}

TEST(Avx2OnlyCpu, IsPreloaded) {
  const char* preload = std::getenv("LD_PRELOAD");
  ASSERT_NE(preload, nullptr) << "run through ctest, which preloads libemb_avx2_only.so";
  EXPECT_NE(std::string(preload).find("libemb_avx2_only.so"), std::string::npos) << preload;
}

TEST(Avx2OnlyCpu, CpuidShowsNoAvx512OnAnyThread) {
  EXPECT_FALSE(shows_avx512(leaf7()));
  Leaf7 other;
  std::thread([&] { other = leaf7(); }).join();
  EXPECT_FALSE(shows_avx512(other));
  // The rest of CPUID is the CPU's own: AVX (leaf 1, ECX bit 28) stays.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid(1, eax, ebx, ecx, edx);
  EXPECT_NE(ecx & (1u << 28), 0u) << "AVX hidden too";
}

TEST(Avx2OnlyCpu, CpuidShowsNoAvx512AfterFork) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) std::_Exit(shows_avx512(leaf7()) ? 1 : 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the forked child saw AVX-512";
}

TEST(Avx2OnlyCpu, OurDetectionStopsAtAvx2) {
  EXPECT_FALSE(isa_includes(detected_isa(), Isa::Avx512)) << isa_name(detected_isa());
}

TEST(Avx2OnlyCpu, AFaultThatIsNotCpuidStillKills) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      },
      testing::KilledBySignal(SIGSEGV), "");
}

// GCC's cc1plus, Python's faulthandler and others install their own SIGSEGV
// handler: CPUID stays masked for them, and their handler still gets their
// faults (the library keeps SIGSEGV and passes those on).
void exit_42(int) { std::_Exit(42); }

TEST(Avx2OnlyCpu, AProgramsOwnSegvHandlerKeepsTheMaskAndGetsItsFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        struct sigaction action = {};
        action.sa_handler = exit_42;
        sigaction(SIGSEGV, &action, nullptr);
        if (shows_avx512(leaf7())) std::_Exit(1);
        struct sigaction now = {};
        sigaction(SIGSEGV, nullptr, &now);
        if (now.sa_handler != exit_42) std::_Exit(2);
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      },
      testing::ExitedWithCode(42), "");
  EXPECT_EXIT(
      {
        std::signal(SIGSEGV, exit_42);
        if (shows_avx512(leaf7())) std::_Exit(1);
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      },
      testing::ExitedWithCode(42), "");
}

}  // namespace
}  // namespace emb
