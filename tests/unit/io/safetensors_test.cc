#include "io/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "support/test_support.h"

namespace emb::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::filesystem::path oracle() { return test::oracle_dir() / "io_formats"; }

// 0, 0.25, 0.5, ... minus 1, as the oracle's ramp().
std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.25f - 1.0f;
  return v;
}

std::vector<float> floats_from_bin(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// Same value, or both NaN; bit-exact otherwise (so -0.0 != 0.0).
void expect_same_floats(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want[i]))
          << "at " << i << ": " << got[i] << " vs " << want[i];
    }
  }
}

// A safetensors file from a raw header text and a zero-filled data buffer.
std::string make_file(const std::string& header, std::size_t data_bytes) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

void expect_load_error(const std::string& bytes, const std::string& fragment) {
  EXPECT_THAT([&] { open_safetensors_bytes(bytes, "bad.safetensors"); },
              ThrowsMessage<ModelLoadError>(HasSubstr(fragment)));
}

SafetensorsWriter small_writer() {
  SafetensorsWriter w;
  w.add("weight", Matrix(2, 3, ramp(6)));
  const auto bias = ramp(3);
  w.add("bias", {3}, bias);
  w.set_metadata("format", "embetter");
  return w;
}

TEST(SafetensorsWriter, RoundTripsThroughBytes) {
  const std::string bytes = small_writer().to_bytes();
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);

  const SafetensorsFile f = open_safetensors_bytes(bytes);
  EXPECT_THAT(f.names(), ElementsAre("bias", "weight"));
  EXPECT_EQ(f.metadata().at("format"), "embetter");
  EXPECT_EQ(f.matrix("weight", {2, 3}), Matrix(2, 3, ramp(6)));
  EXPECT_EQ(f.matrix("bias", {3}), Matrix(1, 3, ramp(3)));
  EXPECT_EQ(f.info("weight").dtype, DType::F32);
  EXPECT_EQ(f.bytes("bias").size(), 12u);
  EXPECT_TRUE(f.contains("bias"));
  EXPECT_FALSE(f.contains("bia"));
}

TEST(SafetensorsWriter, WritesAtomicallyToDisk) {
  const auto dir = test::temp_dir() / "atomic-write";
  std::filesystem::create_directories(dir);
  const auto path = dir / "model.safetensors";
  small_writer().write(path);
  const SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.path(), path);
  EXPECT_EQ(f.matrix("weight"), Matrix(2, 3, ramp(6)));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()), {}), 1);
}

TEST(SafetensorsWriter, RejectsBadInput) {
  SafetensorsWriter w;
  const auto v = ramp(4);
  EXPECT_THAT([&] { w.add("x", {3}, v); }, ThrowsMessage<InvalidArgument>(HasSubstr("'x' has shape [3] (3 values)")));
  w.add("x", {2, 2}, v);
  EXPECT_THAT([&] { w.add("x", {4}, v); }, ThrowsMessage<InvalidArgument>(HasSubstr("added twice")));
  EXPECT_THROW(w.add("__metadata__", {4}, v), InvalidArgument);
}

TEST(SafetensorsWriter, MatchesReferenceLibraryByteForByte) {
  EMB_REQUIRE_FIXTURE(oracle() / "writer_reference.safetensors");
  SafetensorsWriter w;
  w.add("b", Matrix(2, 3, ramp(6)));
  const auto a = ramp(2);
  w.add("a", {2}, a);
  w.add("z", {0, 2}, {});
  w.set_metadata("format", "embetter");
  EXPECT_EQ(w.to_bytes(), read_file(oracle() / "writer_reference.safetensors"));
}

TEST(SafetensorsWriter, PythonSafetensorsReadsOurFile) {
  EMB_REQUIRE_FIXTURE(test::python());
  const auto path = test::temp_dir() / "for_python.safetensors";
  small_writer().write(path);
  const std::string script =
      "import sys, numpy as np\n"
      "from safetensors import safe_open\n"
      "with safe_open(sys.argv[1], 'np') as f:\n"
      "    assert f.metadata() == {'format': 'embetter'}, f.metadata()\n"
      "    w, b = f.get_tensor('weight'), f.get_tensor('bias')\n"
      "ramp = lambda n: np.arange(n, dtype=np.float32) * 0.25 - 1\n"
      "assert w.dtype == np.float32 and w.shape == (2, 3) and (w.ravel() == ramp(6)).all(), w\n"
      "assert b.shape == (3,) and (b == ramp(3)).all(), b\n";
  const auto script_path = test::temp_dir() / "check.py";
  write_file_atomic(script_path, script);
  const std::string cmd = test::python().string() + " " + script_path.string() + " " + path.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(SafetensorsFile, ReadsWhatNumpySafetensorsWrites) {
  EMB_REQUIRE_FIXTURE(oracle() / "numpy_mixed.safetensors");
  const auto f = SafetensorsFile::open(oracle() / "numpy_mixed.safetensors");
  EXPECT_THAT(f.names(), ElementsAre("empty", "f16", "f32", "f64", "i64", "u8", "vec"));
  EXPECT_EQ(f.metadata().at("note"), "ünïcode");
  EXPECT_EQ(f.matrix("f32", {3, 4}), Matrix(3, 4, ramp(12)));
  EXPECT_EQ(f.matrix("vec"), Matrix(1, 5, ramp(5)));
  EXPECT_EQ(f.matrix("empty", {0, 3}).rows(), 0u);
  expect_same_floats(f.floats("f16"), floats_from_bin(oracle() / "f16_as_f32.bin"));
  expect_same_floats(f.floats("f64"), floats_from_bin(oracle() / "f64_as_f32.bin"));
  EXPECT_EQ(f.info("i64").dtype, DType::I64);
  EXPECT_THAT(f.info("i64").shape, ElementsAre(2, 3));
  std::vector<std::int64_t> ints(6);
  std::memcpy(ints.data(), f.bytes("i64").data(), 48);
  EXPECT_THAT(ints, ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT([&] { f.floats("i64"); }, ThrowsMessage<ModelLoadError>(HasSubstr("'i64' has dtype I64; expected")));
}

TEST(SafetensorsFile, F16ConversionIsExactForEveryBitPattern) {
  EMB_REQUIRE_FIXTURE(oracle() / "f16_all.safetensors");
  const auto f = SafetensorsFile::open(oracle() / "f16_all.safetensors");
  expect_same_floats(f.floats("h"), floats_from_bin(oracle() / "f16_all_as_f32.bin"));
}

TEST(SafetensorsFile, Bf16FromTorch) {
  EMB_REQUIRE_FIXTURE(oracle() / "torch_bf16.safetensors");
  const auto f = SafetensorsFile::open(oracle() / "torch_bf16.safetensors");
  EXPECT_EQ(f.info("bf16").dtype, DType::BF16);
  const Matrix m = f.matrix("bf16", {2, 3});
  expect_same_floats({m.data(), m.data() + m.size()}, floats_from_bin(oracle() / "bf16_as_f32.bin"));
}

TEST(SafetensorsFile, ReadsTheTinyBertFixture) {
  const auto path = test::shared_dir() / "fixtures/sbert/tiny-bert/model.safetensors";
  EMB_REQUIRE_FIXTURE(path);
  EMB_REQUIRE_FIXTURE(oracle() / "tiny_bert_sums.json");
  const auto f = SafetensorsFile::open(path);
  const auto sums = nlohmann::json::parse(read_file(oracle() / "tiny_bert_sums.json"));
  EXPECT_EQ(f.names().size(), sums.size());
  for (const auto& [name, want] : sums.items()) {
    EXPECT_EQ(f.info(name).shape, want["shape"].get<std::vector<std::int64_t>>()) << name;
    double sum = 0;
    for (float v : f.floats(name)) sum += v;
    EXPECT_NEAR(sum, want["sum"].get<double>(), 1e-6 * (1 + std::abs(want["sum"].get<double>()))) << name;
  }
  EXPECT_EQ(f.matrix("embeddings.word_embeddings.weight", {8000, 128}).rows(), 8000u);
  EXPECT_THAT([&] { f.matrix("encoder.layer.1.intermediate.dense.weight", {128, 256}); },
              ThrowsMessage<ModelLoadError>(HasSubstr(
                  "model.safetensors: 'encoder.layer.1.intermediate.dense.weight' has shape [256, 128]; "
                  "expected [128, 256]")));
}

TEST(SafetensorsFile, AccessorErrorsNameFileAndTensor) {
  const auto f = open_safetensors_bytes(small_writer().to_bytes(), "m.safetensors");
  EXPECT_THAT([&] { f.info("nope"); },
              ThrowsMessage<ModelLoadError>(HasSubstr("m.safetensors: no tensor named 'nope' (it holds 2 tensors")));
  EXPECT_THAT([&] { f.matrix("weight", {3, 2}); },
              ThrowsMessage<ModelLoadError>(HasSubstr("m.safetensors: 'weight' has shape [2, 3]; expected [3, 2]")));
  SafetensorsWriter w;
  w.add("cube", {1, 2, 2}, ramp(4));
  EXPECT_THAT([&] { open_safetensors_bytes(w.to_bytes()).matrix("cube"); },
              ThrowsMessage<ModelLoadError>(HasSubstr("'cube' has shape [1, 2, 2]; expected a 1-D or 2-D tensor")));
}

TEST(SafetensorsFile, SharesItsBytesAcrossCopies) {
  std::span<const std::byte> raw;
  SafetensorsFile copy = [&] {
    const auto f = open_safetensors_bytes(small_writer().to_bytes());
    raw = f.bytes("bias");
    return f;
  }();
  EXPECT_EQ(copy.bytes("bias").data(), raw.data());
  EXPECT_EQ(copy.matrix("bias"), Matrix(1, 3, ramp(3)));
}

constexpr const char* kTensorA = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

TEST(SafetensorsMalformed, TooShortOrHeaderPastTheEnd) {
  expect_load_error("abc", "bad.safetensors: 3 bytes is too short");
  std::string bytes = make_file("{}", 0);
  const std::uint64_t n = 1000;
  std::memcpy(bytes.data(), &n, 8);
  expect_load_error(bytes, "header length 1000 runs past the end of the 10-byte file");
  const std::uint64_t huge = 200'000'000;
  std::memcpy(bytes.data(), &huge, 8);
  expect_load_error(bytes, "exceeds the 100 MB limit");
}

TEST(SafetensorsMalformed, HeaderNotJsonOrNotAnObject) {
  expect_load_error(make_file("{not json}", 0), "header: not valid JSON");
  expect_load_error(make_file("[1, 2]", 0), "does not start with '{'");
  expect_load_error(make_file(R"({"a": 1})", 0), "'a' is not an object in the header");
  expect_load_error(make_file(R"({"a":{"dtype":"F32","shape":[0]}})", 0), "'a' has no 'data_offsets'");
  expect_load_error(make_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0),
                    "'a' has a shape entry that is not a non-negative integer: -1");
  expect_load_error(make_file(R"({"__metadata__":{"k":1}})", 0), "__metadata__ value of 'k' is not a string");
  expect_load_error(make_file("{" + std::string(kTensorA) + "," + kTensorA + "}", 8), "header names 'a' twice");
}

TEST(SafetensorsMalformed, UnknownDtype) {
  expect_load_error(make_file(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2),
                    "bad.safetensors: 'w' has unsupported dtype 'F8_E4M3'; supported: F64, F32, F16, BF16");
}

TEST(SafetensorsMalformed, ShapeDisagreesWithExtent) {
  expect_load_error(make_file(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 12),
                    "'w' has shape [2, 2] of F32 (4 values) but data_offsets [0, 12] span 12 bytes");
  expect_load_error(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                    "end before they begin");
}

TEST(SafetensorsMalformed, OffsetsBeyondTheBuffer) {
  expect_load_error(make_file(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
                    "'w' has data_offsets [0, 16] beyond the 8-byte data buffer");
}

TEST(SafetensorsMalformed, OverlapsHolesAndTrailingBytes) {
  const std::string b_overlap = R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})";
  expect_load_error(make_file("{" + std::string(kTensorA) + "," + b_overlap + "}", 12),
                    "'b' (data_offsets [4, 12]) overlaps 'a' (data_offsets [0, 8])");
  const std::string b_gap = R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]})";
  expect_load_error(make_file("{" + std::string(kTensorA) + "," + b_gap + "}", 16),
                    "data bytes [8, 12) belong to no tensor (a hole before 'b')");
  expect_load_error(make_file("{" + std::string(kTensorA) + "}", 12), "the tensors end at data byte 8 but the file has 4 more bytes");
}

TEST(SafetensorsMalformed, TruncatedAndEmptyFilesOnDisk) {
  const std::string good = small_writer().to_bytes();
  const auto path = test::temp_dir() / "truncated.safetensors";
  write_file_atomic(path, good.substr(0, good.size() - 4));
  EXPECT_THAT([&] { SafetensorsFile::open(path); },
              ThrowsMessage<ModelLoadError>(HasSubstr(path.string() + ": 'weight' has data_offsets [12, 36] beyond")));
  write_file_atomic(path, "");
  EXPECT_THAT([&] { SafetensorsFile::open(path); }, ThrowsMessage<ModelLoadError>(HasSubstr("0 bytes is too short")));
  EXPECT_THAT([&] { SafetensorsFile::open(test::temp_dir() / "missing.safetensors"); },
              ThrowsMessage<ModelLoadError>(HasSubstr("missing.safetensors: cannot open")));
}

}  // namespace
}  // namespace emb::io
