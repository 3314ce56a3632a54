#pragma once
// CPU seconds for the benchmarks: on a shared machine the wall time includes
// waiting for a core, CPU time does not, so both are reported.
#include <ctime>

namespace emb::bench {

inline double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
/// Used by the whole process (all threads).
inline double process_cpu_seconds() { return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID); }
/// Used by the calling thread.
inline double thread_cpu_seconds() { return cpu_seconds(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace emb::bench
