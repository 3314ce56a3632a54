// embetter encode --images (and --in through a CLIP model's text tower) on
// the tiny random CLIP and timm folders of tests/oracles/clip_oracle.py and
// timm_oracle.py: the rows must be bitwise what ClipEncoder / TimmEncoder
// give for the same inputs, whatever the chunk and batch sizes; bad inputs
// exit with 2, name the argument or file, and leave nothing behind.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "cli_runner.h"
#include "embetter/clip_encoder.h"
#include "embetter/npy.h"
#include "embetter/timm_encoder.h"
#include "support/test_support.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

fs::path clip_oracle(const std::string& name) { return oracle_dir() / "clip" / name; }
fs::path timm_oracle(const std::string& name) { return oracle_dir() / "timm" / name; }
fs::path tiny_bert() { return shared_dir() / "fixtures" / "sbert" / "tiny-bert"; }

/// The image files of a folder, sorted by name (what --images FOLDER takes).
std::vector<std::string> sorted_images(const fs::path& folder) {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(folder)) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

void expect_bitwise_equal(const Matrix& got, const Matrix& want, const std::string& what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  for (std::size_t r = 0; r < got.rows(); ++r)
    for (std::size_t c = 0; c < got.cols(); ++c)
      ASSERT_EQ(got(r, c), want(r, c)) << what << ": row " << r << " column " << c;
}

Matrix encode_with_cli(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> full = {"--quiet", "encode"};
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"--out", out.string()});
  const CliResult r = run_cli(full);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet
  if (r.code != 0) return Matrix();
  return read_npy(out);
}

ClipEncoderOptions clip_options(const std::string& precision = "fp32", bool normalize = false) {
  ClipEncoderOptions o;
  o.precision = precision;
  o.normalize_embeddings = normalize;
  return o;
}

class CliEncodeClipImages : public ::testing::TestWithParam<const char*> {};

// Every layout of CLIP folder; chunks of 3 images and batches of 2, so rows
// cross both boundaries.
TEST_P(CliEncodeClipImages, FolderRowsAreEncodeImageFiles) {
  const fs::path model = clip_oracle(GetParam());
  EMB_REQUIRE_FIXTURE(model / "golden.json");
  const auto paths = sorted_images(model / "images");
  ASSERT_GE(paths.size(), 4u);
  const Matrix got = encode_with_cli({"--model", model.string(), "--images", (model / "images").string(),
                                      "--chunk-size", "3", "--batch-size", "2"},
                                     temp_dir() / (std::string(GetParam()) + ".npy"));
  expect_bitwise_equal(got, ClipEncoder::load(model.string()).encode_image_files(paths), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CliEncodeClipImages, ::testing::Values("hf-clip", "st-clip-hub", "st-clip-saved"),
                         FixtureParamName());

// Texts through the text tower and images through the image tower of one
// CLIP model land in one space: the same columns, each row the library's.
TEST(CliEncodeClip, TextsAndImagesOfOneModelInOneSpace) {
  const fs::path model = clip_oracle("st-clip-hub");
  EMB_REQUIRE_FIXTURE(model / "golden.json");
  const fs::path dir = temp_dir() / "clip-space";
  fs::create_directories(dir);
  const std::vector<std::string> texts = {"a photo of a cat", "a dog on the grass", "TWO red squares",
                                          "naïve café", "x"};
  std::string lines;
  for (const std::string& t : texts) lines += t + "\n";
  write_bytes(dir / "texts.txt", lines);
  const auto paths = sorted_images(model / "images");
  const ClipEncoder library = ClipEncoder::load(model.string());

  const Matrix text_rows =
      encode_with_cli({"--model", model.string(), "--in", (dir / "texts.txt").string(), "--chunk-size", "2"},
                      dir / "texts.npy");
  const Matrix image_rows =
      encode_with_cli({"--model", model.string(), "--images", (model / "images").string()}, dir / "images.npy");
  expect_bitwise_equal(text_rows, library.encode_texts(texts), "texts");
  expect_bitwise_equal(image_rows, library.encode_image_files(paths), "images");
  EXPECT_EQ(text_rows.cols(), image_rows.cols());

  // --precision int8 and --normalize are ClipEncoder's options of the same name.
  const ClipEncoder int8 = ClipEncoder::load(model.string(), clip_options("int8", true));
  expect_bitwise_equal(encode_with_cli({"--model", model.string(), "--in", (dir / "texts.txt").string(),
                                        "--precision", "int8", "--normalize"},
                                       dir / "texts8.npy"),
                       int8.encode_texts(texts), "int8 texts");
  const Matrix images8 = encode_with_cli(
      {"--model", model.string(), "--images", (model / "images").string(), "--precision", "int8", "--normalize"},
      dir / "images8.npy");
  expect_bitwise_equal(images8, int8.encode_image_files(paths), "int8 images");
  for (std::size_t r = 0; r < images8.rows(); ++r) {
    double norm = 0;
    for (float x : images8.row(r)) norm += double(x) * x;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5) << "row " << r;
  }
}

// A list file: one path a line, relative ones from the list's folder, any
// order, blank lines and CRLF endings allowed; and several arguments at once
// (an image, a folder, a list), their images one after another.
TEST(CliEncodeClip, ListFileAndSeveralArgumentsKeepTheirOrder) {
  const fs::path model = clip_oracle("hf-clip");
  EMB_REQUIRE_FIXTURE(model / "golden.json");
  const fs::path dir = temp_dir() / "clip-list";
  fs::create_directories(dir / "lists");
  fs::create_directories(dir / "pictures" / "nested");
  const auto originals = sorted_images(model / "images");
  for (const std::string& p : originals) fs::copy_file(p, dir / "pictures" / fs::path(p).filename());
  fs::copy_file(originals[0], dir / "pictures" / "nested" / "not-taken.png");  // subfolders are not searched
  write_bytes(dir / "pictures" / "notes.txt", "not an image\n");               // nor other extensions

  const fs::path absolute = dir / "pictures" / fs::path(originals[1]).filename();
  write_bytes(dir / "lists" / "some.txt", "../pictures/image5_RGB.png\r\n\n   \n../pictures/image3_L.png\r\n" +
                                              absolute.string() + "\n../pictures/image5_RGB.png\n");
  const std::vector<std::string> listed = {(dir / "lists" / "../pictures/image5_RGB.png").string(),
                                           (dir / "lists" / "../pictures/image3_L.png").string(), absolute.string(),
                                           (dir / "lists" / "../pictures/image5_RGB.png").string()};
  const ClipEncoder library = ClipEncoder::load(model.string());
  expect_bitwise_equal(encode_with_cli({"--model", model.string(), "--images", (dir / "lists" / "some.txt").string()},
                                       dir / "listed.npy"),
                       library.encode_image_files(listed), "list file");

  // A list file is found by its content, whatever its name.
  fs::copy_file(dir / "lists" / "some.txt", dir / "lists" / "no-extension");
  expect_bitwise_equal(
      encode_with_cli({"--model", model.string(), "--images", (dir / "lists" / "no-extension").string()},
                      dir / "listed2.npy"),
      library.encode_image_files(listed), "list file without an extension");

  // An image file is found by its first bytes, whatever its name.
  fs::copy_file(originals[2], dir / "picture-without-extension");
  expect_bitwise_equal(
      encode_with_cli({"--model", model.string(), "--images", (dir / "picture-without-extension").string()},
                      dir / "one.npy"),
      library.encode_image_files({originals[2]}), "an image file without an extension");

  std::vector<std::string> all = {absolute.string()};
  for (const std::string& p : originals) all.push_back((dir / "pictures" / fs::path(p).filename()).string());
  all.insert(all.end(), listed.begin(), listed.end());
  expect_bitwise_equal(encode_with_cli({"--model", model.string(), "--images", absolute.string(),
                                        (dir / "pictures").string(), "--images", (dir / "lists" / "some.txt").string(),
                                        "--chunk-size", "4"},
                                       dir / "all.npy"),
                       library.encode_image_files(all), "an image, a folder and a list");
}

TEST(CliEncodeTimm, FolderRowsAreEncodeImageFiles) {
  const fs::path model = timm_oracle("small_050_97x80");
  EMB_REQUIRE_FIXTURE(model / "golden.json");
  const auto paths = sorted_images(model / "images");
  const Matrix got = encode_with_cli(
      {"--model", model.string(), "--images", (model / "images").string(), "--chunk-size", "3", "--batch-size", "2"},
      temp_dir() / "timm.npy");
  expect_bitwise_equal(got, TimmEncoder::load(model.string()).encode_image_files(paths), "timm");
}

/// Copies `folder` into a Hugging Face cache as the snapshot of `repo` (plain
/// files, as huggingface_hub writes them where symlinks are unavailable).
void cache_snapshot(const fs::path& cache, const std::string& repo, const fs::path& folder) {
  std::string name = "models--" + repo;
  for (std::size_t at = name.find('/'); at != std::string::npos; at = name.find('/')) name.replace(at, 1, "--");
  const std::string commit(40, 'a');
  fs::create_directories(cache / name / "refs");
  write_bytes(cache / name / "refs" / "main", commit);
  fs::create_directories(cache / name / "snapshots");
  fs::copy(folder, cache / name / "snapshots" / commit, fs::copy_options::recursive);
}

// What --model names is found from the folder the cache holds: a bare name
// is sentence-transformers/NAME (a CLIP model here) or else a timm model name
// (timm's default weights for it), and timm/ ids are timm's.
TEST(CliEncodeImages, HubNamesOfClipAndTimmModelsResolveThroughTheCache) {
  const fs::path clip = clip_oracle("st-clip-hub"), timm = timm_oracle("small_050_97x80");
  EMB_REQUIRE_FIXTURE(clip / "golden.json");
  EMB_REQUIRE_FIXTURE(timm / "golden.json");
  const fs::path dir = temp_dir() / "images-hub";
  const fs::path cache = dir / "cache";
  cache_snapshot(cache, "sentence-transformers/clip-ViT-B-32", clip);
  cache_snapshot(cache, "timm/mobilenetv3_small_050.lamb_in1k", timm);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  ::setenv("HF_HUB_CACHE", cache.string().c_str(), 1);
  const auto clip_paths = sorted_images(clip / "images"), timm_paths = sorted_images(timm / "images");
  const Matrix by_clip_name =
      encode_with_cli({"--model", "clip-ViT-B-32", "--images", (clip / "images").string()}, dir / "clip.npy");
  const Matrix by_timm_name =
      encode_with_cli({"--model", "mobilenetv3_small_050", "--images", (timm / "images").string()}, dir / "timm.npy");
  const Matrix by_timm_id = encode_with_cli(
      {"--model", "timm/mobilenetv3_small_050.lamb_in1k", "--images", (timm / "images").string()}, dir / "timm2.npy");
  write_bytes(dir / "texts.txt", "a text\n");
  const CliResult texts_to_timm = run_cli({"encode", "--model", "timm/mobilenetv3_small_050.lamb_in1k", "--in",
                                           (dir / "texts.txt").string(), "--out", (dir / "x.npy").string()});
  const CliResult missing = run_cli({"encode", "--model", "no-such-model", "--images", (timm / "images").string(),
                                     "--out", (dir / "x.npy").string()});
  ::unsetenv("HF_HUB_OFFLINE");
  ::unsetenv("HF_HUB_CACHE");
  expect_bitwise_equal(by_clip_name, ClipEncoder::load(clip.string()).encode_image_files(clip_paths), "clip-ViT-B-32");
  const Matrix timm_rows = TimmEncoder::load(timm.string()).encode_image_files(timm_paths);
  expect_bitwise_equal(by_timm_name, timm_rows, "mobilenetv3_small_050");
  expect_bitwise_equal(by_timm_id, timm_rows, "timm/mobilenetv3_small_050.lamb_in1k");
  expect_bad_input(texts_to_timm, {"--in", "timm image model"}, dir / "x.npy");
  // Not a timm name either: the message is about the sentence-transformers model not found.
  expect_bad_input(missing, {"--model no-such-model", "sentence-transformers/no-such-model"}, dir / "x.npy");
}

TEST(CliEncodeImages, ModelsThatCannotTakeTheInputExitWithTwo) {
  const fs::path clip = clip_oracle("hf-clip"), timm = timm_oracle("small_050_97x80");
  EMB_REQUIRE_FIXTURE(clip / "golden.json");
  EMB_REQUIRE_FIXTURE(timm / "golden.json");
  EMB_REQUIRE_FIXTURE(tiny_bert() / "model.safetensors");
  const fs::path dir = temp_dir() / "images-model-errors";
  fs::create_directories(dir);
  const fs::path out = dir / "x.npy";
  write_bytes(dir / "texts.txt", "a text\n");
  const std::string images = (clip / "images").string();
  expect_bad_input(
      run_cli({"encode", "--model", timm.string(), "--in", (dir / "texts.txt").string(), "--out", out.string()}),
      {"--in", "--model " + timm.string(), "timm image model", "no text tower"}, out);
  expect_bad_input(run_cli({"encode", "--model", tiny_bert().string(), "--images", images, "--out", out.string()}),
                   {"--images", "text model", "takes no images"}, out);
  expect_bad_input(run_cli({"encode", "--model", timm.string(), "--images", images, "--out", out.string(),
                            "--precision", "int8"}),
                   {"--precision int8", "float32 only"}, out);
  expect_bad_input(
      run_cli({"encode", "--model", timm.string(), "--images", images, "--out", out.string(), "--normalize"}),
      {"--normalize", "timm"}, out);
  expect_bad_input(run_cli({"encode", "--model", clip.string(), "--images", images, "--in",
                            (dir / "texts.txt").string(), "--out", out.string()}),
                   {"--images", "excludes", "--in"}, out);
  expect_bad_input(run_cli({"encode", "--model", clip.string(), "--out", out.string()}), {"--in", "--images"}, out);
}

TEST(CliEncodeImages, BadImageInputsExitWithTwoNameTheProblemAndWriteNothing) {
  const fs::path model = clip_oracle("hf-clip");
  EMB_REQUIRE_FIXTURE(model / "golden.json");
  const fs::path dir = temp_dir() / "images-bad";
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "only-text");
  fs::create_directories(dir / "corrupt");
  const fs::path out = dir / "x.npy";
  auto run = [&](const std::vector<std::string>& images) {
    std::vector<std::string> args = {"encode", "--model", model.string(), "--out", out.string(), "--images"};
    args.insert(args.end(), images.begin(), images.end());
    return run_cli(args);
  };
  expect_bad_input(run({(dir / "none").string()}), {"--images", "none", "no such file or folder"}, out);
  expect_bad_input(run({(dir / "empty").string()}), {"--images " + (dir / "empty").string(), "holds no image files"},
                   out);
  write_bytes(dir / "only-text" / "a.txt", "text\n");
  expect_bad_input(run({(dir / "only-text").string()}), {"--images", "only-text", "holds no image files"}, out);
  write_bytes(dir / "empty.txt", "\n  \n");
  expect_bad_input(run({(dir / "empty.txt").string()}), {"--images", "empty.txt", "lists no image files"}, out);
  write_bytes(dir / "missing.txt", "images/a.png\n");
  expect_bad_input(run({(dir / "missing.txt").string()}),
                   {"--images", "missing.txt:1", "'images/a.png'", "no such file"}, out);
  write_bytes(dir / "fake.jpg", "<html>not a picture</html>");
  expect_bad_input(run({(dir / "fake.jpg").string()}), {"--images", "fake.jpg", "not a JPEG, PNG or WebP image"}, out);
  expect_bad_input(run({"/dev/null"}), {"--images /dev/null", "not a regular file"}, out);
  write_bytes(dir / "zero.png", "");
  expect_bad_input(run({(dir / "zero.png").string()}), {"--images", "zero.png", "empty"}, out);

  // A PNG cut short: its first bytes pass the check, the decoder finds it when
  // its chunk is encoded, after two chunks were written to the temporary file.
  const auto originals = sorted_images(model / "images");
  for (const std::string& p : originals) fs::copy_file(p, dir / "corrupt" / fs::path(p).filename());
  const std::string bytes = slurp(originals[5]);
  write_bytes(dir / "corrupt" / fs::path(originals[5]).filename(), bytes.substr(0, bytes.size() / 2));
  const CliResult r = run_cli({"encode", "--model", model.string(), "--images", (dir / "corrupt").string(), "--out",
                               out.string(), "--chunk-size", "2"});
  expect_bad_input(r, {"--images", (dir / "corrupt" / fs::path(originals[5]).filename()).string()}, out);

  // An existing output stays as it was.
  write_bytes(out, "old");
  EXPECT_EQ(run({(dir / "corrupt").string()}).code, 2);
  EXPECT_EQ(slurp(out), "old");
}

}  // namespace
}  // namespace emb::test
