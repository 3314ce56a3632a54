// ClipEncoder against sentence-transformers (and transformers' CLIPModel) on
// the three tiny random CLIP folders of tests/oracles/clip_oracle.py: token
// ids, text embeddings, image embeddings from the oracle's pixel values and
// from the image files (decoded and preprocessed here), batch and thread
// independence, int8, and the errors of malformed folders and inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/clip_encoder.h"
#include "embetter/error.h"
#include "embetter/sentence_encoder.h"
#include "encoders/clip_folder.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path oracle(const std::string& name) { return test::oracle_dir() / "clip" / name; }

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

Matrix matrix_of(const json& rows) {
  Matrix m(rows.size(), rows.empty() ? 0 : rows[0].size());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) m(r, c) = rows[r][c].get<float>();
  return m;
}

struct Parity {
  float max_abs = 0;
  double min_cosine = 1;
};

Parity compare(const Matrix& got, const Matrix& want) {
  EXPECT_EQ(got.rows(), want.rows());
  EXPECT_EQ(got.cols(), want.cols());
  Parity p;
  if (got.rows() != want.rows() || got.cols() != want.cols()) return Parity{1e9f, -1};
  for (std::size_t r = 0; r < got.rows(); ++r) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t c = 0; c < got.cols(); ++c) {
      p.max_abs = std::max(p.max_abs, std::abs(got(r, c) - want(r, c)));
      dot += double(got(r, c)) * want(r, c);
      na += double(got(r, c)) * got(r, c);
      nb += double(want(r, c)) * want(r, c);
    }
    p.min_cosine = std::min(p.min_cosine, dot / std::sqrt(na * nb));
  }
  return p;
}

void expect_parity(const Matrix& got, const Matrix& want, const std::string& what) {
  const Parity p = compare(got, want);
  std::printf("[parity] %s: max abs diff %.3g, min cosine %.9f\n", what.c_str(), p.max_abs, p.min_cosine);
  EXPECT_LE(p.max_abs, 1e-4f) << what;
  EXPECT_GE(p.min_cosine, 0.99999) << what;
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> v;
  for (const auto& s : j) v.push_back(s.get<std::string>());
  return v;
}

std::vector<float> pixels_of(const json& golden) {
  std::vector<float> v;
  for (const auto& image : golden["pixel_values"])
    for (const auto& x : image) v.push_back(x.get<float>());
  return v;
}

ClipEncoderOptions options(int batch_size, int threads = 1) {
  ClipEncoderOptions o;
  o.batch_size = batch_size;
  o.num_threads = threads;
  return o;
}

class ClipParity : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    folder_ = oracle(GetParam());
    EMB_REQUIRE_FIXTURE(folder_ / "golden.json");
    golden_ = read_json(folder_ / "golden.json");
  }
  fs::path folder_;
  json golden_;
};

TEST_P(ClipParity, TokenIdsAreSentenceTransformers) {
  const auto enc = ClipEncoder::load(folder_.string());
  EXPECT_EQ(enc.max_seq_length(), golden_["max_seq_length"].get<std::size_t>());
  const auto texts = strings_of(golden_["texts"]);
  for (std::size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(enc.token_ids(texts[i]), golden_["input_ids"][i].get<std::vector<std::int32_t>>())
        << GetParam() << " text " << i << ": " << texts[i];
}

TEST_P(ClipParity, TextEmbeddingsMatchEncodeAndGetTextFeatures) {
  const auto texts = strings_of(golden_["texts"]);
  const auto enc = ClipEncoder::load(folder_.string(), options(4, 2));
  EXPECT_EQ(enc.dim(), golden_["dim"].get<std::size_t>());
  const Matrix got = enc.encode_texts(texts);
  expect_parity(got, matrix_of(golden_["text_embeddings"]), std::string(GetParam()) + " texts vs encode");
  if (!golden_["normalized"].get<bool>())
    expect_parity(got, matrix_of(golden_["text_features"]), std::string(GetParam()) + " texts vs get_text_features");
}

TEST_P(ClipParity, ImageEmbeddingsFromPixelValues) {
  const auto enc = ClipEncoder::load(folder_.string(), options(3, 2));
  const auto shape = golden_["pixel_shape"].get<std::vector<std::size_t>>();
  ASSERT_EQ(enc.image_size(), shape[2]);
  const Matrix got = enc.encode_pixels(pixels_of(golden_), shape[0]);
  expect_parity(got, matrix_of(golden_["image_embeddings"]), std::string(GetParam()) + " pixels vs encode");
  if (!golden_["normalized"].get<bool>())
    expect_parity(got, matrix_of(golden_["image_features"]),
                  std::string(GetParam()) + " pixels vs get_image_features");
}

TEST_P(ClipParity, ImageFilesDecodedAndPreprocessedHere) {
  const auto enc = ClipEncoder::load(folder_.string(), options(3, 2));
  std::vector<std::string> paths;
  for (const auto& name : golden_["images"]) paths.push_back((folder_ / "images" / name.get<std::string>()).string());
  const auto want_pixels = pixels_of(golden_);
  float worst = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const auto px = enc.preprocess(read_image(paths[i]));
    ASSERT_EQ(px.size(), enc.pixels_per_image());
    for (std::size_t j = 0; j < px.size(); ++j)
      worst = std::max(worst, std::abs(px[j] - want_pixels[i * px.size() + j]));
  }
  std::printf("[parity] %s preprocessing: max abs diff %.3g over the pixel values\n", GetParam(), worst);
  EXPECT_LE(worst, 1e-5f);
  expect_parity(enc.encode_image_files(paths), matrix_of(golden_["image_embeddings"]),
                std::string(GetParam()) + " image files vs encode");
}

TEST_P(ClipParity, EmbeddingsDoNotDependOnBatchOrThreads) {
  const auto texts = strings_of(golden_["texts"]);
  const auto pixels = pixels_of(golden_);
  const std::size_t n_images = golden_["pixel_shape"][0].get<std::size_t>();
  const Matrix texts_all = ClipEncoder::load(folder_.string(), options(32, 3)).encode_texts(texts);
  const Matrix images_all = ClipEncoder::load(folder_.string(), options(32, 3)).encode_pixels(pixels, n_images);
  const auto one = ClipEncoder::load(folder_.string(), options(1, 1));
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Matrix alone = one.encode_texts({texts[i]});
    for (std::size_t j = 0; j < alone.cols(); ++j) ASSERT_EQ(alone(0, j), texts_all(i, j)) << "text " << i;
  }
  const std::size_t per = one.pixels_per_image();
  for (std::size_t i = 0; i < n_images; ++i) {
    const Matrix alone = one.encode_pixels(std::span(pixels).subspan(i * per, per), 1);
    for (std::size_t j = 0; j < alone.cols(); ++j) ASSERT_EQ(alone(0, j), images_all(i, j)) << "image " << i;
  }
}

TEST_P(ClipParity, Int8StaysCloseToFloat32) {
  const auto texts = strings_of(golden_["texts"]);
  const std::size_t n_images = golden_["pixel_shape"][0].get<std::size_t>();
  ClipEncoderOptions o = options(8, 2);
  o.precision = "int8";
  const auto enc = ClipEncoder::load(folder_.string(), o);
  const Parity t = compare(enc.encode_texts(texts), matrix_of(golden_["text_embeddings"]));
  const Parity i = compare(enc.encode_pixels(pixels_of(golden_), n_images), matrix_of(golden_["image_embeddings"]));
  std::printf("[int8] %s: texts min cosine %.6f, images min cosine %.6f\n", GetParam(), t.min_cosine, i.min_cosine);
  // SentenceEncoder's int8 gate: cosine ≥ 0.999 to float32 for every input.
  EXPECT_GE(t.min_cosine, 0.999);
  EXPECT_GE(i.min_cosine, 0.999);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ClipParity, ::testing::Values("hf-clip", "st-clip-hub", "st-clip-saved"),
                         test::FixtureParamName());

TEST(ClipTokenizer, VocabAndMergesGiveTransformersIds) {
  EMB_REQUIRE_FIXTURE(oracle("tokenizer.json"));
  const json golden = read_json(oracle("tokenizer.json"));
  const auto texts = strings_of(golden["texts"]);
  for (const char* name : {"hf-clip", "st-clip-hub"}) {
    const fs::path dir = name == std::string("hf-clip") ? oracle(name) : oracle(name) / "0_CLIPModel";
    const Tokenizer tok = encoders::load_clip_tokenizer(dir);
    for (std::size_t i = 0; i < texts.size(); ++i)
      EXPECT_EQ(tok.encode(texts[i]).ids, golden[name][i].get<std::vector<std::int32_t>>())
          << name << " text " << i << ": " << texts[i];
  }
}

TEST(ClipEncoder, OptionsNormalizeAndEmptyInput) {
  EMB_REQUIRE_FIXTURE(oracle("hf-clip") / "golden.json");
  const fs::path folder = oracle("hf-clip");
  ClipEncoderOptions o;
  o.normalize_embeddings = true;
  const auto enc = ClipEncoder::load(folder.string(), o);
  const Matrix m = enc.encode_texts({"a photo of a cat", "a dog"});
  for (std::size_t r = 0; r < m.rows(); ++r) {
    double sq = 0;
    for (float v : m.row(r)) sq += double(v) * v;
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-6);
  }
  EXPECT_EQ(enc.encode_texts({}).rows(), 0u);
  EXPECT_EQ(enc.encode_texts({}).cols(), enc.dim());
  EXPECT_EQ(enc.encode_pixels({}, 0).rows(), 0u);
  EXPECT_EQ(enc.encode_images({}).rows(), 0u);
  // Progress after each batch; false stops with Interrupted.
  std::vector<std::size_t> seen;
  ClipEncoderOptions p = options(2);
  p.progress = [&](std::size_t done, std::size_t total) {
    seen.push_back(done);
    return total == 5 && done < 4;
  };
  EXPECT_THROW(ClipEncoder::load(folder.string(), p).encode_texts({"a", "b", "c", "d", "e"}), Interrupted);
  EXPECT_EQ(seen, (std::vector<std::size_t>{2, 4}));
}

TEST(ClipEncoder, BadInputsAreClearErrors) {
  EMB_REQUIRE_FIXTURE(oracle("hf-clip") / "golden.json");
  const auto enc = ClipEncoder::load(oracle("hf-clip").string());
  const std::size_t per = enc.pixels_per_image();
  EMB_EXPECT_THROW_WITH(enc.encode_pixels(std::vector<float>(per - 1), 1), InvalidArgument,
                        "the model takes 3 x 32 x 32 = 3072 per image");
  std::vector<float> nan(per, 0.0f);
  nan[5] = std::nanf("");
  EMB_EXPECT_THROW_WITH(enc.encode_pixels(nan, 1), InvalidArgument, "image 0 has a pixel value that is not finite");
  EMB_EXPECT_THROW_WITH(enc.encode_texts({"ok", std::string("bad \xff utf-8")}), InvalidArgument, "text 1");
  EMB_EXPECT_THROW_WITH(enc.encode_image_files({(oracle("hf-clip") / "config.json").string()}), ImageError,
                        "config.json");
  EMB_EXPECT_THROW_WITH(ClipEncoder::load(oracle("hf-clip").string(), [] {
                          ClipEncoderOptions o;
                          o.precision = "fp16";
                          return o;
                        }()),
                        InvalidArgument, "precision 'fp16' is unknown");
}

// A writable copy of a fixture with one file changed.
fs::path broken_copy(const char* fixture, const std::string& as) {
  return test::writable_copy(oracle(fixture), as);
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

TEST(ClipEncoder, MalformedFoldersNameTheFile) {
  EMB_REQUIRE_FIXTURE(oracle("st-clip-hub") / "golden.json");
  {
    const fs::path d = broken_copy("st-clip-hub", "no_weights");
    fs::remove(d / "0_CLIPModel/model.safetensors");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "0_CLIPModel: no model.safetensors");
    write_text(d / "0_CLIPModel/pytorch_model.bin", "x");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "pytorch_model.bin");
  }
  {
    const fs::path d = broken_copy("st-clip-hub", "bad_config");
    json c = read_json(d / "0_CLIPModel/config.json");
    c["text_config"]["hidden_size"] = "wide";
    write_text(d / "0_CLIPModel/config.json", c.dump());
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "(text_config): key 'hidden_size'");
    c["text_config"]["hidden_size"] = 96;   // a valid number, but not the checkpoint's
    write_text(d / "0_CLIPModel/config.json", c.dump());
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError,
                          "'text_model.embeddings.token_embedding.weight' has shape [");
    c["model_type"] = "bert";
    write_text(d / "0_CLIPModel/config.json", c.dump());
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), NotSupportedError, "not a CLIP model");
    write_text(d / "0_CLIPModel/config.json", "{\"model_type\": \"clip\", ");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "config.json");
  }
  {
    const fs::path d = broken_copy("st-clip-hub", "bad_tokenizer");
    fs::remove(d / "0_CLIPModel/merges.txt");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "no vocab.json + merges.txt");
    write_text(d / "0_CLIPModel/merges.txt", "#version: 0.2\na b\nthree parts here\n");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), ModelLoadError, "merges.txt: line 3 'three parts here'");
  }
  {
    const fs::path d = broken_copy("st-clip-hub", "bad_modules");
    write_text(d / "modules.json",
               R"([{"idx": 0, "name": "0", "path": "0_CLIPModel", "type": "sentence_transformers.models.CLIPModel"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])");
    EMB_EXPECT_THROW_WITH(ClipEncoder::load(d.string()), NotSupportedError, "module 'Pooling' is not supported");
  }
  {
    // Texts still work without the preprocessor; images say what is missing.
    const fs::path d = broken_copy("st-clip-hub", "no_preprocessor");
    fs::remove(d / "0_CLIPModel/preprocessor_config.json");
    const auto enc = ClipEncoder::load(d.string());
    EXPECT_EQ(enc.encode_texts({"a cat"}).rows(), 1u);
    EMB_EXPECT_THROW_WITH(enc.encode_images(std::vector<Image>(1, read_image((d / "images/image0_RGB.png").string()))),
                          ModelLoadError, "no preprocessor_config.json");
  }
}

// sentence-transformers' multilingual CLIP text encoders (clip-ViT-B-32-multilingual-v1)
// are text models: ClipEncoder runs them as SentenceEncoder does, texts only.
TEST(ClipEncoder, TextOnlyModelsEncodeTextsAndRefuseImages) {
  const fs::path tiny = test::shared_dir() / "fixtures/sbert/tiny-bert";
  EMB_REQUIRE_FIXTURE(tiny / "modules.json");
  const auto enc = ClipEncoder::load(tiny.string());
  const std::vector<std::string> texts{"a photo of a cat", "ein Foto einer Katze"};
  EXPECT_EQ(enc.encode_texts(texts), SentenceEncoder::load(tiny.string()).encode(texts));
  EXPECT_EQ(enc.token_ids("a cat"), SentenceEncoder::load(tiny.string()).token_ids("a cat"));
  EXPECT_EQ(enc.image_size(), 0u);
  EMB_EXPECT_THROW_WITH(enc.encode_pixels({}, 0), NotSupportedError, "encodes texts only");
  EMB_EXPECT_THROW_WITH(enc.encode_image_files({"x.png"}), NotSupportedError, "encodes texts only");
}

}  // namespace
}  // namespace emb
