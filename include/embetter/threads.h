#pragma once
/// @file threads.h
/// One knob for every thread pool embetter uses (OpenBLAS, Eigen, our own loops).
/// Results are bitwise reproducible for a given seed *and* thread count.
namespace emb {
/// Sets the number of threads; n <= 0 means "all cores".
void set_num_threads(int n);
/// The number of threads in use.
int num_threads();
}  // namespace emb
