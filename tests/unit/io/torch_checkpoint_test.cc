// The restricted torch.save reader against files torch.save wrote
// (tests/oracles/torch_checkpoint_oracle.py): every dtype and view compared
// byte for byte with safetensors.torch's copy, the tiny fixtures converted to
// pytorch_model.bin embedding bit for bit as their safetensors originals, and
// hostile archives refused with a clear error.
#include "io/torch_checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/sentence_encoder.h"
#include "support/test_support.h"
#include "train/body/sentence_body.h"

namespace emb::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path oracle() { return test::oracle_dir() / "torch_checkpoint"; }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(TorchCheckpoint, EveryDtypeAndViewMatchesSafetensorsByteForByte) {
  EMB_REQUIRE_FIXTURE(oracle() / "mixed.bin");
  const SafetensorsFile pt = read_torch_checkpoint(oracle() / "mixed.bin");
  const SafetensorsFile st = SafetensorsFile::open(oracle() / "mixed.safetensors");
  ASSERT_EQ(pt.names(), st.names());
  for (const auto& name : st.names()) {
    EXPECT_EQ(pt.info(name).dtype, st.info(name).dtype) << name;
    EXPECT_EQ(pt.info(name).shape, st.info(name).shape) << name;
    const auto a = pt.bytes(name), b = st.bytes(name);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << name;
  }
  EXPECT_EQ(pt.path(), oracle() / "mixed.bin");
  EXPECT_EQ(pt.floats("transposed"), st.floats("transposed"));
}

TEST(TorchCheckpoint, ModuleStateDictWithMetadataAndTheBytesEntryPoint) {
  EMB_REQUIRE_FIXTURE(oracle() / "linear.bin");
  const SafetensorsFile pt = read_torch_checkpoint_bytes(slurp(oracle() / "linear.bin"), "linear.bin");
  EXPECT_EQ(pt.names(), (std::vector<std::string>{"bias", "weight"}));
  EXPECT_EQ(pt.floats("weight"), (std::vector<float>{-1.0f, -0.75f, -0.5f, -0.25f, 0.0f, 0.25f}));
  EXPECT_EQ(pt.floats("bias"), (std::vector<float>{-1.0f, -0.75f}));
  // open_weights_file picks the reader by name.
  EXPECT_EQ(open_weights_file(oracle() / "linear.bin").names(), pt.names());
  EXPECT_EQ(open_weights_file(oracle() / "mixed.safetensors").names().size(), 16u);
}

TEST(TorchCheckpoint, HostileAndBrokenFilesAreClearErrors) {
  const fs::path dir = oracle() / "hostile";
  EMB_REQUIRE_FIXTURE(dir / "expected.json");
  const auto expected = nlohmann::json::parse(slurp(dir / "expected.json"));
  ASSERT_GE(expected.size(), 15u);
  for (const auto& [file, fragment] : expected.items()) {
    const fs::path path = dir / file;
    const std::string msg = test::message_of<ModelLoadError>([&] { read_torch_checkpoint(path); });
    EXPECT_THAT(msg, HasSubstr(fragment.get<std::string>())) << file;
    EXPECT_THAT(msg, HasSubstr(path.string())) << file;
    // The same from memory (what the fuzzer drives).
    const std::string name = file;  // clang 14 cannot capture a structured binding
    const std::string mem = test::message_of<ModelLoadError>([&] { read_torch_checkpoint_bytes(slurp(path), name); });
    EXPECT_THAT(mem, HasSubstr(fragment.get<std::string>())) << file;
  }
}

TEST(TorchCheckpoint, GarbageAndEmptyInputsAreClearErrors) {
  for (const std::string& bytes : {std::string(), std::string("PK\x03\x04", 4), std::string(1000, '\xff')}) {
    const std::string msg = test::message_of<ModelLoadError>([&] { read_torch_checkpoint_bytes(bytes, "x.bin"); });
    EXPECT_THAT(msg, HasSubstr("x.bin")) << msg;
  }
  const std::string msg =
      test::message_of<ModelLoadError>([] { read_torch_checkpoint(oracle() / "no-such-file.bin"); });
  EXPECT_THAT(msg, HasSubstr("no-such-file.bin"));
}

// A folder whose weights are only pytorch_model.bin embeds exactly as the
// safetensors original, through the public API.
class PytorchModelBinFolder : public ::testing::TestWithParam<const char*> {};

TEST_P(PytorchModelBinFolder, EmbedsBitForBitAsTheSafetensorsFolder) {
  const fs::path original = test::shared_dir() / "fixtures/sbert" / GetParam();
  const fs::path converted = oracle() / "pt" / GetParam();
  EMB_REQUIRE_FIXTURE(converted / "pytorch_model.bin");
  ASSERT_FALSE(fs::exists(converted / "model.safetensors"));
  EMB_REQUIRE_FIXTURE(original / "model.safetensors");
  const std::vector<std::string> texts{"A man is playing a guitar.", "", "Ünïcode, CJK 漢字 and emoji 🙂",
                                       std::string(600, 'x') + " truncated", "Two\nlines\tand  spaces"};
  const Matrix want = SentenceEncoder::load(original.string()).encode(texts);
  const Matrix got = SentenceEncoder::load(converted.string()).encode(texts);
  EXPECT_EQ(got, want);
}

// Finetuning writes its result by patching model.safetensors; such a folder
// is refused up front, saying how to convert it.
TEST(TorchCheckpoint, FinetuningAPytorchModelBinFolderIsNotSupported) {
  const fs::path converted = oracle() / "pt" / "tiny-bert";
  EMB_REQUIRE_FIXTURE(converted / "pytorch_model.bin");
  const std::string msg = test::message_of<NotSupportedError>([&] { train::body::SentenceBody::load(converted); });
  EXPECT_THAT(msg, HasSubstr("pytorch_model.bin"));
  EXPECT_THAT(msg, HasSubstr("safe_serialization=True"));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PytorchModelBinFolder,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet",
                                           "tiny-bert-max"),
                         test::FixtureParamName());

}  // namespace
}  // namespace emb::io
