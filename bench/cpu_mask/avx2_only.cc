// LD_PRELOAD=libemb_avx2_only.so: the process, and every thread and child
// it starts, sees an AVX2-only CPU. CPUID reports no AVX-512 (nor the
// AVX-512-only extensions, AVX-VNNI or AVX512-BF16), so every library that
// picks its kernels from CPUID (ONNX Runtime's MLAS, PyTorch, oneDNN,
// OpenBLAS, numpy, ours) runs the code it would run on an AVX2-only x86-64
// machine. bench/encoder_vs_references.py --cpu-as avx2 runs the engines
// this way: issue 13's first way of measuring (an AVX2-only machine) on
// machines that have AVX-512.
//
// How: Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID, 0) makes the
// CPUID instruction raise SIGSEGV in this process; the handler runs CPUID
// with faulting briefly off, clears the bits, and steps over the
// instruction. The setting is inherited by threads and fork(), reset by
// execve() (where LD_PRELOAD loads this again). Not hidden: XGETBV's
// XCR0 still has the AVX-512 state bits (software checks them only after
// CPUID's feature bits), and CPUID executed before this library's
// constructor (glibc's own string functions, chosen by ld.so; set
// GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,... for those).
//
// Programs that install their own SIGSEGV handler (GCC's cc1plus does,
// for its crash reports) keep CPUID faulting: this library's sigaction()
// and signal() take SIGSEGV's disposition into a record of their own, and
// the handler here passes every fault that is not CPUID to it.
//
// Exits with status 77 (a skip, for ctest) and a message when the CPU or
// kernel has no CPUID faulting: an unmasked run would silently measure the
// AVX-512 code instead.
#include <asm/prctl.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

long set_cpuid_enabled(bool enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled ? 1UL : 0UL); }

constexpr std::uint32_t bit(int i) { return std::uint32_t{1} << i; }

// Leaf 7, sub-leaf 0: EBX AVX512F, DQ, IFMA, PF, ER, CD, BW, VL; ECX VBMI,
// VBMI2, VNNI, BITALG, VPOPCNTDQ; EDX 4VNNIW, 4FMAPS, VP2INTERSECT, FP16.
constexpr std::uint32_t kLeaf7Ebx = bit(16) | bit(17) | bit(21) | bit(26) | bit(27) | bit(28) | bit(30) | bit(31);
constexpr std::uint32_t kLeaf7Ecx = bit(1) | bit(6) | bit(11) | bit(12) | bit(14);
constexpr std::uint32_t kLeaf7Edx = bit(2) | bit(3) | bit(8) | bit(23);
// Leaf 7, sub-leaf 1: EAX AVX-VNNI, AVX512-BF16 (an AVX2-only Zen 3 or
// Skylake client has neither).
constexpr std::uint32_t kLeaf7Sub1Eax = bit(4) | bit(5);
// Leaf 0xD, sub-leaf 0: EAX, the XSAVE state components the CPU supports
// (5–7: the opmask and the upper halves of the 512-bit registers).
constexpr std::uint32_t kLeafDEax = bit(5) | bit(6) | bit(7);

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);

SigactionFn real_sigaction() {
  static const auto fn = reinterpret_cast<SigactionFn>(dlsym(RTLD_NEXT, "sigaction"));
  return fn;
}

// The program's own SIGSEGV disposition (what it last gave sigaction or
// signal), default until it sets one.
struct sigaction program_segv = {};

// A fault that is not CPUID: the program's handler, or the default action
// (the instruction faults again on return, and the process dies of it).
void pass_on(int sig, siginfo_t* info, void* context) {
  const struct sigaction program = program_segv;
  if (program.sa_flags & SA_RESETHAND) program_segv = {};
  if (program.sa_flags & SA_SIGINFO) {
    program.sa_sigaction(sig, info, context);
  } else if (program.sa_handler != SIG_DFL && program.sa_handler != SIG_IGN) {
    program.sa_handler(sig);
  } else {
    struct sigaction fallback = {};
    fallback.sa_handler = SIG_DFL;
    real_sigaction()(SIGSEGV, &fallback, nullptr);
  }
}

void on_segv(int sig, siginfo_t* info, void* context) {
  auto* regs = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  const auto* ip = reinterpret_cast<const unsigned char*>(regs[REG_RIP]);
  if (ip[0] != 0x0f || ip[1] != 0xa2) return pass_on(sig, info, context);
  const auto leaf = static_cast<std::uint32_t>(regs[REG_RAX]), sub = static_cast<std::uint32_t>(regs[REG_RCX]);
  unsigned a = 0, b = 0, c = 0, d = 0;
  set_cpuid_enabled(true);
  __cpuid_count(leaf, sub, a, b, c, d);
  set_cpuid_enabled(false);
  if (leaf == 7 && sub == 0) b &= ~kLeaf7Ebx, c &= ~kLeaf7Ecx, d &= ~kLeaf7Edx;
  if (leaf == 7 && sub == 1) a &= ~kLeaf7Sub1Eax;
  if (leaf == 0xd && sub == 0) a &= ~kLeafDEax;
  regs[REG_RAX] = a, regs[REG_RBX] = b, regs[REG_RCX] = c, regs[REG_RDX] = d;
  regs[REG_RIP] += 2;
}

__attribute__((constructor)) void hide_avx512() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  real_sigaction()(SIGSEGV, &action, nullptr);
  if (set_cpuid_enabled(false) != 0) {
    std::fprintf(stderr,
                 "libemb_avx2_only: this CPU or kernel has no CPUID faulting (arch_prctl ARCH_SET_CPUID: %s), "
                 "so AVX-512 cannot be hidden from this process\n",
                 std::strerror(errno));
    std::_Exit(77);
  }
}

}  // namespace

// SIGSEGV stays ours; the program's handler is kept in program_segv.
extern "C" int sigaction(int sig, const struct sigaction* action, struct sigaction* old) noexcept {
  if (sig != SIGSEGV) return real_sigaction()(sig, action, old);
  if (old) *old = program_segv;
  if (action) program_segv = *action;
  return 0;
}

// glibc's signal() calls its internal sigaction, which the one above does
// not replace: SIGSEGV's goes to the record as signal() would set it (BSD
// semantics), every other signal to glibc's.
extern "C" sighandler_t signal(int sig, sighandler_t handler) noexcept {
  if (sig != SIGSEGV) {
    using SignalFn = sighandler_t (*)(int, sighandler_t);
    static const auto real_signal = reinterpret_cast<SignalFn>(dlsym(RTLD_NEXT, "signal"));
    return real_signal(sig, handler);
  }
  const struct sigaction old = program_segv;
  program_segv = {};
  program_segv.sa_handler = handler;
  program_segv.sa_flags = SA_RESTART;
  // (through void (*)(), which GCC takes as matching any function type)
  return (old.sa_flags & SA_SIGINFO) ? reinterpret_cast<sighandler_t>(reinterpret_cast<void (*)()>(old.sa_sigaction))
                                     : old.sa_handler;
}
