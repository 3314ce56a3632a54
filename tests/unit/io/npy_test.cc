#include "embetter/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "io/npy_writer.h"
#include "support/test_support.h"

namespace emb {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::filesystem::path oracle() { return test::oracle_dir() / "io_formats"; }

// 0, 0.25, 0.5, ... minus 1, as the oracle's ramp().
Matrix ramp(std::size_t rows, std::size_t cols) {
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(i) * 0.25f - 1.0f;
  return m;
}

void expect_invalid(const std::filesystem::path& path, const std::string& fragment) {
  EXPECT_THAT([&] { read_npy(path); }, ThrowsMessage<InvalidArgument>(HasSubstr(path.string() + fragment)));
}

TEST(Npy, RoundTrip) {
  const auto path = test::temp_dir() / "x.npy";
  write_npy(path, ramp(3, 5));
  EXPECT_EQ(read_npy(path), ramp(3, 5));
  write_npy(path, Matrix(0, 4));
  const Matrix empty = read_npy(path);
  EXPECT_EQ(empty.rows(), 0u);
  EXPECT_EQ(empty.cols(), 4u);
}

TEST(Npy, WritesWhatNumpySaveWrites) {
  EMB_REQUIRE_FIXTURE(oracle() / "f4_2d.npy");
  const auto path = test::temp_dir() / "same.npy";
  write_npy(path, ramp(3, 4));
  EXPECT_EQ(io::read_file(path), io::read_file(oracle() / "f4_2d.npy"));
}

TEST(Npy, NumpyLoadsOurFile) {
  EMB_REQUIRE_FIXTURE(test::python());
  const auto path = test::temp_dir() / "for_numpy.npy";
  write_npy(path, ramp(7, 3));
  const std::string cmd = test::python().string() +
                          " -c \"import sys, numpy as np; a = np.load(sys.argv[1]); "
                          "assert a.dtype == np.float32 and a.shape == (7, 3), a; "
                          "assert (a.ravel() == np.arange(21, dtype=np.float32) * 0.25 - 1).all(), a\" " +
                          path.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(Npy, ReadsNumpyFilesOfEveryVersion) {
  EMB_REQUIRE_FIXTURE(oracle() / "f4_2d.npy");
  EXPECT_EQ(read_npy(oracle() / "f4_2d.npy"), ramp(3, 4));
  EXPECT_EQ(read_npy(oracle() / "f8_1d.npy"), ramp(5, 1));  // 1-D: n × 1, float64 converted
  EXPECT_EQ(read_npy(oracle() / "f4_v2.npy"), ramp(2, 3));
  EXPECT_EQ(read_npy(oracle() / "f4_v3.npy"), ramp(2, 3));
  EXPECT_EQ(read_npy(oracle() / "f4_empty.npy").cols(), 3u);
}

TEST(Npy, RefusesOtherDtypesOrdersAndRanks) {
  EMB_REQUIRE_FIXTURE(oracle() / "i8.npy");
  expect_invalid(oracle() / "i8.npy",
                 ": dtype '<i8' is not supported; expected float32 ('<f4') or float64 ('<f8') in C order");
  expect_invalid(oracle() / "f2.npy", ": dtype '<f2' is not supported");
  expect_invalid(oracle() / "be_f4.npy", ": dtype '>f4' is not supported");
  expect_invalid(oracle() / "fortran.npy", ": array is in Fortran order; expected C order");
  expect_invalid(oracle() / "f4_3d.npy", ": 3-D array of shape (2, 3, 4) is not supported; expected a 1-D or 2-D");
  expect_invalid(oracle() / "f4_0d.npy", ": 0-D array of shape () is not supported");
}

TEST(Npy, RefusesTruncatedOrForeignFiles) {
  const auto good = test::temp_dir() / "good.npy";
  write_npy(good, ramp(3, 4));
  const std::string bytes = io::read_file(good);
  const auto bad = test::temp_dir() / "bad.npy";
  io::write_file_atomic(bad, bytes.substr(0, bytes.size() - 4));
  expect_invalid(bad, ": shape (3, 4) of <f4 needs 48 data bytes but the file holds 44 (truncated?)");
  io::write_file_atomic(bad, bytes.substr(0, 40));
  expect_invalid(bad, ": .npy header of 118 bytes runs past the end");
  io::write_file_atomic(bad, "PK\x03\x04 not an npy file");
  expect_invalid(bad, ": not a .npy file");
  std::string odd = bytes;
  odd.replace(odd.find("'shape'"), 7, "'shapo'");
  io::write_file_atomic(bad, odd);
  expect_invalid(bad, ": .npy header lacks 'descr', 'fortran_order' or 'shape'");
  EXPECT_THROW(read_npy(test::temp_dir() / "missing.npy"), ModelLoadError);
}

// Rows written in blocks (as `embetter encode` streams them): the file is the
// one write_npy (and numpy.save) writes for the whole matrix.
Matrix rows_of(const Matrix& m, std::size_t begin, std::size_t end) {
  std::vector<std::size_t> rows;
  for (std::size_t r = begin; r < end; ++r) rows.push_back(r);
  return m.select_rows(rows);
}

TEST(NpyWriter, BlocksMakeTheFileWriteNpyMakes) {
  const Matrix m = ramp(7, 384);
  const auto whole = test::temp_dir() / "whole.npy", blocks = test::temp_dir() / "blocks.npy";
  write_npy(whole, m);
  io::NpyWriter writer(blocks, 384);
  for (auto [b, e] : {std::pair{0, 3}, {3, 3}, {3, 4}, {4, 7}}) writer.append(rows_of(m, b, e));
  EXPECT_FALSE(std::filesystem::exists(blocks));  // only the temporary file until commit()
  writer.commit();
  EXPECT_EQ(writer.rows(), 7u);
  EXPECT_EQ(io::read_file(blocks), io::read_file(whole));
  EXPECT_EQ(read_npy(blocks), m);

  io::NpyWriter none(blocks, 5);  // no rows: a valid (0, 5) array
  none.commit();
  EXPECT_EQ(read_npy(blocks).cols(), 5u);
  EXPECT_EQ(read_npy(blocks).rows(), 0u);
}

TEST(NpyWriter, NumpySaveWritesTheSameBytes) {
  EMB_REQUIRE_FIXTURE(test::python());
  for (auto [rows, cols] : {std::pair<std::size_t, std::size_t>{0, 5}, {1, 1}, {12345, 3}, {7, 384}}) {
    const auto path = test::temp_dir() / "numpy_same.npy";
    const Matrix m = ramp(rows, cols);
    io::NpyWriter writer(path, cols);
    writer.append(rows_of(m, 0, rows / 2));
    writer.append(rows_of(m, rows / 2, rows));
    writer.commit();
    const std::string cmd = test::python().string() +
                            " -c \"import io, sys, numpy as np; a = np.load(sys.argv[1]); b = io.BytesIO(); "
                            "np.save(b, a); assert a.shape == (" + std::to_string(rows) + ", " + std::to_string(cols) +
                            "), a.shape; assert b.getvalue() == open(sys.argv[1], 'rb').read()\" " + path.string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}

TEST(NpyWriter, WithoutCommitNothingIsLeftAndWidthsMustMatch) {
  const auto dir = test::temp_dir() / "npy-writer-abandoned";
  std::filesystem::create_directories(dir);
  {
    io::NpyWriter writer(dir / "x.npy", 4);
    writer.append(ramp(2, 4));
    EXPECT_THAT([&] { writer.append(ramp(2, 3)); },
                ThrowsMessage<InvalidArgument>(HasSubstr("x.npy: rows of 3 columns appended to a .npy of 4 columns")));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
}  // namespace emb
