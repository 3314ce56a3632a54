#pragma once
/// @file npy.h
/// NumPy .npy files holding a float matrix: the format numpy.save writes
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
#include <filesystem>

#include "embetter/matrix.h"

namespace emb {

/// Reads a .npy file (format version 1, 2 or 3) of dtype little-endian float32
/// ('<f4') or float64 ('<f8', converted to float32) in C order. A 1-D array of
/// n values becomes n × 1; a 2-D array keeps its shape. Anything else (other
/// dtypes, Fortran order, 0-D or 3-D arrays, truncated data) throws
/// InvalidArgument naming the file, what it holds and what is expected.
/// An unreadable file throws ModelLoadError.
Matrix read_npy(const std::filesystem::path& path);

/// Writes `m` as a 2-D '<f4' C-order array (format version 1.0, what numpy.save
/// writes), atomically: the file is replaced only once fully written.
void write_npy(const std::filesystem::path& path, const Matrix& m);

}  // namespace emb
