#pragma once
// Reads the text goldens that tests/oracles/linalg_sklearn.py writes: a
// "rows cols" line then the values row by row; label files hold one per line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "support/test_support.h"

namespace emb::test {

struct Table {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  Matrix matrix() const { return Matrix(rows, cols, std::vector<float>(values.begin(), values.end())); }
  double operator()(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

inline std::filesystem::path linalg_golden(const std::string& name) {
  return oracle_dir() / "linalg" / (name + ".txt");
}

inline Table read_table(const std::string& name) {
  std::ifstream in(linalg_golden(name));
  Table t;
  if (!(in >> t.rows >> t.cols)) ADD_FAILURE() << "cannot read golden " << linalg_golden(name);
  t.values.resize(t.rows * t.cols);
  for (double& v : t.values) in >> v;
  if (!in) ADD_FAILURE() << "golden " << linalg_golden(name) << " is truncated";
  return t;
}

inline std::vector<std::string> read_labels(const std::string& name) {
  std::ifstream in(linalg_golden(name));
  if (!in) ADD_FAILURE() << "cannot read golden " << linalg_golden(name);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace emb::test
