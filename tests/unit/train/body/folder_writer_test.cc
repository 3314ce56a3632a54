// write_sentence_folder: the saved folder holds the source's bytes except
// the trained slices, loads with SentenceModel, replaces only model folders,
// and leaves the target as it was (and no temporary folder) on any error.
#include "train/body/folder_writer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "embetter/error.h"
#include "encoders/sentence_model.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using train::body::ParameterRef;
using train::body::write_sentence_folder;

const char* const kFixtures[] = {"tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet", "tiny-bert-max"};
// In every fixture's architecture (BERT, RoBERTa and MPNet name it alike).
constexpr const char* kTrained = "encoder.layer.1.output.dense.weight";

fs::path fixture(const std::string& name) { return test::shared_dir() / "fixtures/sbert" / name; }

/// A fresh folder for the running test (test::temp_dir() is one per process).
fs::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  const fs::path dir = test::temp_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// Every file under `dir` (following links) by relative path, with its bytes;
/// folders map to "<folder>".
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    out[rel] = fs::is_directory(it->path()) ? "<folder>" : io::read_file(it->path());
  }
  return out;
}

std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Sentence embeddings of a few token sequences (ids below every fixture's vocabulary).
std::vector<float> embeddings(const fs::path& folder) {
  const auto model = encoders::SentenceModel::load(folder);
  encoders::SentenceModel::Workspace ws;
  const std::vector<std::vector<std::int32_t>> sequences = {{2, 50, 300, 1000, 7000, 3}, {2, 9, 3}, {0, 4, 5, 6, 2}};
  std::vector<float> out;
  for (const auto& ids : sequences) {
    std::vector<float> e(model.dim());
    model.embed(ids, ws, e);
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// A ref over `count` elements of `name` from `offset`, its values in `storage`.
ParameterRef ref_of(const io::SafetensorsFile& file, const std::string& name, std::size_t offset,
                    std::vector<float>& storage, const std::string& rel = "model.safetensors") {
  ParameterRef r;
  r.file = rel;
  r.name = name;
  r.shape = file.info(name).shape;
  r.offset = offset;
  r.values = storage;
  return r;
}

class FolderWriterFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(FolderWriterFixture, OnlyTheTrainedSliceChanges) {
  const fs::path source = fixture(GetParam());
  EMB_REQUIRE_FIXTURE(source / "model.safetensors");
  const fs::path target = scratch() / "finetuned";
  const auto original = io::SafetensorsFile::open(source / "model.safetensors");
  const std::vector<float> before = original.floats(kTrained);
  constexpr std::size_t kOffset = 1000, kCount = 300;
  std::vector<float> trained(before.begin() + kOffset, before.begin() + kOffset + kCount);
  for (float& v : trained) v += 0.25f;
  const ParameterRef ref = ref_of(original, kTrained, kOffset, trained);

  write_sentence_folder(source, std::span(&ref, 1), target);

  const auto written = io::SafetensorsFile::open(target / "model.safetensors");
  EXPECT_EQ(written.names(), original.names());
  EXPECT_EQ(written.metadata(), original.metadata());
  for (const auto& name : original.names()) {
    const auto& a = original.info(name);
    const auto& b = written.info(name);
    EXPECT_EQ(b.dtype, a.dtype) << name;
    EXPECT_EQ(b.shape, a.shape) << name;
    if (name != kTrained) {
      const auto x = original.bytes(name), y = written.bytes(name);
      EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << name;
    }
  }
  const std::vector<float> after = written.floats(kTrained);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    const bool in_slice = i >= kOffset && i < kOffset + kCount;
    ASSERT_EQ(std::bit_cast<std::uint32_t>(after[i]),
              std::bit_cast<std::uint32_t>(in_slice ? trained[i - kOffset] : before[i]))
        << "element " << i;
  }
  // Every other file, folders included, is the source's.
  auto src = snapshot(source), out = snapshot(target);
  src.erase("model.safetensors");
  out.erase("model.safetensors");
  EXPECT_EQ(out, src);
  EXPECT_FALSE(bitwise_equal(embeddings(target), embeddings(source)));
  EXPECT_EQ(entries_of(target.parent_path()), std::vector<std::string>{"finetuned"});  // no temporary left
}

TEST_P(FolderWriterFixture, UnchangedValuesGiveTheSameFolderAndEmbeddings) {
  const fs::path source = fixture(GetParam());
  EMB_REQUIRE_FIXTURE(source / "model.safetensors");
  const fs::path target = scratch() / "same";
  const auto original = io::SafetensorsFile::open(source / "model.safetensors");
  // Every tensor, as the trainer holds it, put back unchanged.
  std::vector<std::vector<float>> storage;
  for (const auto& name : original.names()) storage.push_back(original.floats(name));
  std::vector<ParameterRef> refs;
  const auto names = original.names();
  for (std::size_t i = 0; i < names.size(); ++i) refs.push_back(ref_of(original, names[i], 0, storage[i]));

  write_sentence_folder(source, refs, target);

  EXPECT_EQ(snapshot(target), snapshot(source));
  EXPECT_TRUE(bitwise_equal(embeddings(target), embeddings(source)));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FolderWriterFixture, ::testing::ValuesIn(kFixtures), test::FixtureParamName());

class FolderWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
    source_ = fixture("tiny-bert");
    original_ = io::SafetensorsFile::open(source_ / "model.safetensors");
    dir_ = scratch();
  }
  /// `kTrained`'s first `count` values, each plus `delta`.
  std::vector<float> shifted(float delta, std::size_t count = 128) const {
    std::vector<float> v = original_.floats(kTrained);
    v.resize(count);
    for (float& x : v) x += delta;
    return v;
  }

  fs::path source_;
  io::SafetensorsFile original_;
  fs::path dir_;
};

TEST_F(FolderWriter, ReplacesAnExistingModelFolder) {
  const fs::path target = dir_ / "model";
  write_sentence_folder(source_, {}, target);
  auto values = shifted(0.5f);
  const ParameterRef ref = ref_of(original_, kTrained, 0, values);
  write_sentence_folder(source_, std::span(&ref, 1), target);
  EXPECT_EQ(io::SafetensorsFile::open(target / "model.safetensors").floats(kTrained)[0], values[0]);
  EXPECT_FALSE(bitwise_equal(embeddings(target), embeddings(source_)));
  EXPECT_EQ(entries_of(dir_), std::vector<std::string>{"model"});  // the old folder and the temporary are gone

  // A folder with only config.json (a plain transformers folder) is a model folder too.
  fs::remove(target / "modules.json");
  write_sentence_folder(source_, {}, target);
  EXPECT_EQ(snapshot(target), snapshot(source_));
}

TEST_F(FolderWriter, ReplacesAnEmptyFolderAndCreatesParents) {
  fs::create_directory(dir_ / "empty");
  write_sentence_folder(source_, {}, dir_ / "empty/");  // a trailing slash names the folder
  EXPECT_EQ(snapshot(dir_ / "empty"), snapshot(source_));
  write_sentence_folder(source_, {}, dir_ / "a/b/c");
  EXPECT_EQ(snapshot(dir_ / "a/b/c"), snapshot(source_));
}

TEST_F(FolderWriter, WritesOverTheFolderItWasLoadedFrom) {
  const fs::path folder = dir_ / "model";
  write_sentence_folder(source_, {}, folder);
  const auto loaded = io::SafetensorsFile::open(folder / "model.safetensors");  // maps the file being replaced
  auto values = shifted(-0.125f);
  const ParameterRef ref = ref_of(loaded, kTrained, 0, values);
  write_sentence_folder(folder, std::span(&ref, 1), folder);
  const auto after = io::SafetensorsFile::open(folder / "model.safetensors").floats(kTrained);
  const auto before = original_.floats(kTrained);
  EXPECT_EQ(after[5], values[5]);
  EXPECT_EQ(after[500], before[500]);
  EXPECT_EQ(loaded.floats(kTrained)[5], before[5]);  // an open mapping keeps the old bytes
  EXPECT_FALSE(bitwise_equal(embeddings(folder), embeddings(source_)));
  EXPECT_EQ(entries_of(dir_), std::vector<std::string>{"model"});
}

TEST_F(FolderWriter, FollowsALinkAtTheTarget) {
  write_sentence_folder(source_, {}, dir_ / "v1");
  fs::create_directory_symlink("v1", dir_ / "current");
  auto values = shifted(1.0f);
  const ParameterRef ref = ref_of(original_, kTrained, 0, values);
  write_sentence_folder(source_, std::span(&ref, 1), dir_ / "current");
  EXPECT_TRUE(fs::is_symlink(dir_ / "current"));
  EXPECT_EQ(io::SafetensorsFile::open(dir_ / "v1/model.safetensors").floats(kTrained)[0], values[0]);
}

TEST_F(FolderWriter, RefusesToReplaceWhatIsNotAModelFolder) {
  const fs::path notes = dir_ / "notes";
  fs::create_directory(notes);
  { std::ofstream(notes / "letter.txt") << "my data"; }
  EMB_EXPECT_THROW_WITH(write_sentence_folder(source_, {}, notes), InvalidArgument, "not a model folder");
  EXPECT_EQ(io::read_file(notes / "letter.txt"), "my data");
  EXPECT_EQ(entries_of(notes), std::vector<std::string>{"letter.txt"});

  { std::ofstream(dir_ / "file") << "x"; }
  EMB_EXPECT_THROW_WITH(write_sentence_folder(source_, {}, dir_ / "file"), InvalidArgument, "is not a folder");
  EXPECT_EQ(io::read_file(dir_ / "file"), "x");
  EXPECT_EQ(entries_of(dir_), (std::vector<std::string>{"file", "notes"}));
}

TEST_F(FolderWriter, RefusesNestedSourceAndTarget) {
  const fs::path model = dir_ / "model";
  write_sentence_folder(source_, {}, model);
  EMB_EXPECT_THROW_WITH(write_sentence_folder(model, {}, model / "finetuned"), InvalidArgument,
                        "inside the source folder");
  EMB_EXPECT_THROW_WITH(write_sentence_folder(model / "1_Pooling", {}, model), InvalidArgument,
                        "holds the source folder");
  EXPECT_EQ(snapshot(model), snapshot(source_));
}

TEST_F(FolderWriter, ErrorsNameTheTensorAndLeaveTheTargetAsItWas) {
  const fs::path target = dir_ / "model";
  write_sentence_folder(source_, {}, target);
  const auto before = snapshot(target);
  const auto check = [&](const std::vector<ParameterRef>& refs, const char* text, auto expected) {
    using E = typename decltype(expected)::type;
    const std::string message = test::message_of<E>([&] { write_sentence_folder(source_, refs, target); });
    EXPECT_THAT(message, ::testing::HasSubstr(text));
    EXPECT_EQ(snapshot(target), before) << text;
    EXPECT_EQ(entries_of(dir_), std::vector<std::string>{"model"}) << text;
  };
  const auto invalid = std::type_identity<InvalidArgument>{};
  auto good = shifted(0.5f);
  auto ok = ref_of(original_, kTrained, 0, good);

  auto missing = ok;
  missing.name = "encoder.layer.9.output.dense.weight";
  check({ok, missing}, "no tensor named 'encoder.layer.9.output.dense.weight'", invalid);

  auto wrong_shape = ok;
  wrong_shape.shape = {256, 128};
  check({wrong_shape},
        "'encoder.layer.1.output.dense.weight' has shape [128, 256]; the trained parameter expects [256, 128]",
        invalid);

  auto past_end = ok;
  past_end.offset = 128 * 256 - 100;
  check({past_end}, "holds 32768 values; the trained parameter covers elements [32668, 32796)", invalid);

  auto nan = shifted(0.5f);
  nan[17] = std::numeric_limits<float>::quiet_NaN();
  check({ref_of(original_, kTrained, 0, nan)}, "the trained value of element 17 is nan", invalid);

  auto overlap = ok;
  overlap.offset = 100;
  check({ok, overlap}, "two trained parameters overlap (elements [0, 128) and [100, 228))", invalid);

  auto elsewhere = ok;
  elsewhere.file = "../tiny-roberta/model.safetensors";
  check({elsewhere}, "expected a path inside the sentence-transformers folder", invalid);

  auto no_file = ok;
  no_file.file = "2_Dense/model.safetensors";
  check({no_file}, "2_Dense/model.safetensors: cannot open", std::type_identity<ModelLoadError>{});
}

// Raw tensors for a hand-made safetensors file with several dtypes.
struct RawTensor {
  std::string name, dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;
};

void write_raw_safetensors(const fs::path& path, const std::vector<RawTensor>& tensors) {
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}};
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  out += text;
  for (const auto& t : tensors) out += t.bytes;
  io::write_file_atomic(path, out);
}

std::string f32_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

/// Truncating conversions: any valid half/bfloat16 content will do for the source file.
std::string f16_bytes(const std::vector<float>& v) {
  std::string out;
  for (float f : v) {
    const auto x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t e = (x >> 23) & 0xff;
    const std::uint32_t magnitude = e > 112 && e < 143 ? ((e - 112) << 10) | ((x >> 13) & 0x3ff) : 0;
    const auto h = static_cast<std::uint16_t>(((x >> 16) & 0x8000) | magnitude);
    out.append(reinterpret_cast<const char*>(&h), 2);
  }
  return out;
}
std::string bf16_bytes(const std::vector<float>& v) {
  std::string out;
  for (float f : v) {
    const auto h = static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(f) >> 16);
    out.append(reinterpret_cast<const char*>(&h), 2);
  }
  return out;
}

std::vector<std::uint16_t> halves(std::span<const std::byte> bytes) {
  std::vector<std::uint16_t> out(bytes.size() / 2);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

TEST_F(FolderWriter, HalfPrecisionTensorsRoundToNearestEvenAndTheRestStaysAsItWas) {
  // tiny-bert with one F16 and one BF16 weight and an int64 position_ids
  // buffer (as older BERT checkpoints carry).
  const fs::path source = dir_ / "mixed";
  write_sentence_folder(source_, {}, source);
  constexpr const char* kHalf = "encoder.layer.0.attention.self.query.weight";
  constexpr const char* kBrain = "encoder.layer.0.attention.self.key.weight";
  std::vector<RawTensor> tensors;
  std::vector<std::int64_t> positions(512);
  for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<std::int64_t>(i);
  tensors.push_back({"embeddings.position_ids", "I64", {1, 512},
                     std::string(reinterpret_cast<const char*>(positions.data()), positions.size() * 8)});
  for (const auto& name : original_.names()) {
    const auto& info = original_.info(name);
    const auto v = original_.floats(name);
    if (name == kHalf)
      tensors.push_back({name, "F16", info.shape, f16_bytes(v)});
    else if (name == kBrain)
      tensors.push_back({name, "BF16", info.shape, bf16_bytes(v)});
    else
      tensors.push_back({name, "F32", info.shape, f32_bytes(v)});
  }
  write_raw_safetensors(source / "model.safetensors", tensors);
  const auto mixed = io::SafetensorsFile::open(source / "model.safetensors");

  const float tie = std::ldexp(1.0f, -11), unit = std::ldexp(1.0f, -24);
  std::vector<float> half_values = {1.0f, 1.0f + tie, 1.0f + 3 * tie, 65504.0f, 65519.0f, -2.0f,
                                    unit, unit / 2, 3 * unit / 2, std::ldexp(1.0f, -14), 0.1f, -0.0f};
  const std::vector<std::uint16_t> half_codes = {0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7bff, 0xc000,
                                                 0x0001, 0x0000, 0x0002, 0x0400, 0x2e66, 0x8000};
  const float btie = std::ldexp(1.0f, -8);
  std::vector<float> brain_values = {1.0f, 1.0f + btie, 1.0f + 3 * btie, 0.1f, -3.0f};
  const std::vector<std::uint16_t> brain_codes = {0x3f80, 0x3f80, 0x3f82, 0x3dcd, 0xc040};
  std::vector<float> f32_values = {0.1f, -0.2f};
  const std::vector<ParameterRef> refs = {ref_of(mixed, kHalf, 40, half_values),
                                          ref_of(mixed, kBrain, 7, brain_values),
                                          ref_of(mixed, kTrained, 3, f32_values)};
  const fs::path target = dir_ / "out";
  write_sentence_folder(source, refs, target);

  const auto written = io::SafetensorsFile::open(target / "model.safetensors");
  EXPECT_EQ(written.metadata(), mixed.metadata());
  for (const auto& name : mixed.names()) {
    EXPECT_EQ(written.info(name).dtype, mixed.info(name).dtype) << name;
    if (name == kHalf || name == kBrain || name == kTrained) continue;
    const auto x = mixed.bytes(name), y = written.bytes(name);
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << name;
  }
  const auto check_codes = [&](const char* name, std::size_t offset, const std::vector<std::uint16_t>& codes) {
    const auto before = halves(mixed.bytes(name)), after = halves(written.bytes(name));
    for (std::size_t i = 0; i < after.size(); ++i) {
      const bool in_slice = i >= offset && i < offset + codes.size();
      EXPECT_EQ(after[i], in_slice ? codes[i - offset] : before[i]) << name << " element " << i;
    }
  };
  check_codes(kHalf, 40, half_codes);
  check_codes(kBrain, 7, brain_codes);
  EXPECT_EQ(written.floats(kTrained)[3], 0.1f);
  EXPECT_EQ(written.floats(kTrained)[2], mixed.floats(kTrained)[2]);
  EXPECT_EQ(embeddings(target).size(), embeddings(source).size());  // loads

  // Beyond the dtype's range: refused, nothing written.
  std::vector<float> too_big = {65520.0f};
  const ParameterRef big = ref_of(mixed, kHalf, 0, too_big);
  EMB_EXPECT_THROW_WITH(write_sentence_folder(source, std::span(&big, 1), dir_ / "big"), InvalidArgument,
                        "beyond the range of the tensor's dtype F16 (largest 65504)");
  std::vector<float> huge = {std::numeric_limits<float>::max()};
  const ParameterRef brain_big = ref_of(mixed, kBrain, 0, huge);
  EMB_EXPECT_THROW_WITH(write_sentence_folder(source, std::span(&brain_big, 1), dir_ / "big"), InvalidArgument,
                        "dtype BF16");
  // Integer buffers take no trained values.
  std::vector<float> ids = {1.0f};
  ParameterRef integer = ref_of(mixed, "embeddings.position_ids", 0, ids);
  EMB_EXPECT_THROW_WITH(write_sentence_folder(source, std::span(&integer, 1), dir_ / "big"), InvalidArgument,
                        "'embeddings.position_ids' has dtype I64; trained values can only go into F32, F16 or BF16");
  EXPECT_FALSE(fs::exists(dir_ / "big"));
}

TEST_F(FolderWriter, AHubCacheSnapshotBecomesPlainFiles) {
  // models--org--name/blobs/<hash> and snapshots/<commit>/<path> as relative
  // links into blobs/, as huggingface_hub lays out its cache.
  const fs::path repo = dir_ / "models--org--tiny";
  const fs::path snapshot_dir = repo / "snapshots/0123abcd";
  fs::create_directories(repo / "blobs");
  fs::create_directories(snapshot_dir);
  int n = 0;
  for (auto it = fs::recursive_directory_iterator(source_); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), source_);
    if (it->is_directory()) {
      fs::create_directories(snapshot_dir / rel);
      continue;
    }
    const std::string blob = "blob" + std::to_string(n++);
    fs::copy_file(it->path(), repo / "blobs" / blob);
    fs::path up;
    for (auto part = rel.begin(); std::next(part) != rel.end(); ++part) up /= "..";
    fs::create_symlink(up / "../../blobs" / blob, snapshot_dir / rel);
  }
  ASSERT_TRUE(fs::is_symlink(snapshot_dir / "model.safetensors"));
  ASSERT_TRUE(fs::is_symlink(snapshot_dir / "1_Pooling/config.json"));
  const auto blobs_before = snapshot(repo / "blobs");

  auto values = shifted(0.5f);
  const ParameterRef ref = ref_of(original_, kTrained, 0, values);
  const fs::path target = dir_ / "finetuned";
  write_sentence_folder(snapshot_dir, std::span(&ref, 1), target);

  for (auto it = fs::recursive_directory_iterator(target); it != fs::recursive_directory_iterator(); ++it)
    EXPECT_FALSE(it->is_symlink()) << it->path();
  auto out = snapshot(target), src = snapshot(source_);
  EXPECT_NE(out["model.safetensors"], src["model.safetensors"]);
  out.erase("model.safetensors");
  src.erase("model.safetensors");
  EXPECT_EQ(out, src);
  EXPECT_EQ(snapshot(repo / "blobs"), blobs_before);  // the cache is not touched
  EXPECT_FALSE(bitwise_equal(embeddings(target), embeddings(source_)));

  // A link whose blob is missing (an interrupted download) is an error, not a silent gap.
  fs::remove(repo / "blobs" / "blob0");
  const fs::path broken = dir_ / "broken";
  EXPECT_THROW(write_sentence_folder(snapshot_dir, {}, broken), ModelLoadError);
  EXPECT_EQ(entries_of(dir_), (std::vector<std::string>{"finetuned", "models--org--tiny"}));  // no temporary left
}

TEST_F(FolderWriter, RemovesTheTemporariesOfKilledWritersOnly) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // a pid with no process behind it now
  const std::string dead = std::to_string(child), alive = std::to_string(::getppid());
  for (const std::string& name : {"model.tmp-" + dead + "-abc123", "model.tmp-" + alive + "-abc123",
                                  "model.old-" + dead + "-abc123", "model.tmp-" + dead + "-mine"})
    fs::create_directories(dir_ / name / "1_Pooling");
  write_sentence_folder(source_, {}, dir_ / "model");
  // Gone: only the dead writer's temporary. The live writer's stays, so does
  // an old model set aside (the only copy if a writer died between its
  // renames), and a name not of our pattern.
  // entries_of sorts by name, and the pids' digits decide the order: sort the expectation too.
  std::vector<std::string> expected{"model", "model.old-" + dead + "-abc123", "model.tmp-" + alive + "-abc123",
                                    "model.tmp-" + dead + "-mine"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entries_of(dir_), expected);
}

TEST_F(FolderWriter, LeavesOutStaleWeightsAndRepositoryBookkeeping) {
  const fs::path source = dir_ / "clone";
  write_sentence_folder(source_, {}, source);
  { std::ofstream(source / "pytorch_model.bin") << "old weights"; }
  fs::create_directories(source / "onnx");
  { std::ofstream(source / "onnx/model.onnx") << "old weights"; }
  fs::create_directories(source / ".git/lfs");
  { std::ofstream(source / ".git/HEAD") << "ref: refs/heads/main"; }
  // Untrained modules keep theirs: only weights beside a rewritten file are stale.
  { std::ofstream(source / "1_Pooling/pytorch_model.bin") << "kept"; }

  auto values = shifted(0.5f);
  const ParameterRef ref = ref_of(original_, kTrained, 0, values);
  write_sentence_folder(source, std::span(&ref, 1), dir_ / "out");
  EXPECT_FALSE(fs::exists(dir_ / "out/pytorch_model.bin"));
  EXPECT_FALSE(fs::exists(dir_ / "out/onnx"));
  EXPECT_FALSE(fs::exists(dir_ / "out/.git"));
  EXPECT_EQ(io::read_file(dir_ / "out/1_Pooling/pytorch_model.bin"), "kept");
}

}  // namespace
}  // namespace emb
