#pragma once
// Hand-made .npy files for the CLI tests, including ones our writer would
// never produce (integer dtypes, Fortran order, truncated data).
#include <string>
#include <vector>

namespace emb::test {

/// A version-1.0 .npy file: magic, header dict padded to 64 bytes, then `data`.
std::string npy_bytes(const std::string& descr, bool fortran_order, const std::vector<std::size_t>& shape,
                      const std::string& data);

/// float32 values as little-endian bytes.
std::string f32_bytes(const std::vector<float>& values);

}  // namespace emb::test
