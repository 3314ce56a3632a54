// The sparse products' loops (cpu/simd/sparse.h) at the baseline.
#define EMB_SIMD_NAMESPACE generic
#include "cpu/simd/sparse.h"
