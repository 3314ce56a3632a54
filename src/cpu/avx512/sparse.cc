// The sparse products' loops (cpu/simd/sparse.h) compiled for AVX-512.
#define EMB_SIMD_NAMESPACE avx512
#include "cpu/simd/sparse.h"
