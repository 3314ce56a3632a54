#pragma once
// Runs the embetter executable for the end-to-end tests and makes their inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace emb::test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

/// Runs `embetter ARGS` with stdout and stderr captured to files (so stderr is
/// not a terminal) and stdin from /dev/null.
CliResult run_cli(const std::vector<std::string>& args);

std::string slurp(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

/// Two well-separated classes in 8 dimensions ("a" near -1, "b" near +1), as
/// x.npy (60 × 8 float32), y.txt, y.jsonl (label at "meta.label") and z.npy
/// (the first 10 rows), in a fresh folder.
struct CliInputs {
  CliInputs();
  std::filesystem::path dir, x, labels, labels_jsonl, z;
  std::size_t n = 60, d = 8;
};

/// Checks a bad-input run: exit code 2, every fragment in stderr, `not_written`
/// absent and no temporary file left in its folder.
void expect_bad_input(const CliResult& r, const std::vector<std::string>& fragments,
                      const std::filesystem::path& not_written);

}  // namespace emb::test
