#pragma once
// Writes the chart bytes to a temporary file next to the target, then renames
// it over the target, so that a crash never leaves a half-written picture.
// (A stand-in until io::write_file_atomic lands on main.)
#include <filesystem>
#include <string_view>

namespace emb::plot {
void write_atomic(const std::filesystem::path& target, std::string_view bytes);
}  // namespace emb::plot
