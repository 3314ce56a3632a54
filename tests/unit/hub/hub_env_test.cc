// The environment variables huggingface_hub reads, with its precedence.
#include <gtest/gtest.h>

#include "embetter/error.h"
#include "fake_hub.h"
#include "hub/hub_env.h"
#include "hub/repo_id.h"
#include "support/test_support.h"

#include <fstream>

namespace emb::hub {
namespace {
using test::ScopedEnv;

TEST(HubEnv, CacheRootPrecedence) {
  ScopedEnv env({{"HF_HUB_CACHE", std::nullopt}, {"HUGGINGFACE_HUB_CACHE", std::nullopt}, {"HF_HOME", std::nullopt},
                 {"XDG_CACHE_HOME", std::nullopt}, {"HOME", "/home/u"}});
  EXPECT_EQ(cache_root(), "/home/u/.cache/huggingface/hub");
  ScopedEnv xdg({{"XDG_CACHE_HOME", "/xdg"}});
  EXPECT_EQ(cache_root(), "/xdg/huggingface/hub");
  ScopedEnv home({{"HF_HOME", "~/hf"}});
  EXPECT_EQ(cache_root(), "/home/u/hf/hub");
  ScopedEnv legacy({{"HUGGINGFACE_HUB_CACHE", "/legacy"}});
  EXPECT_EQ(cache_root(), "/legacy");
  ScopedEnv cache({{"HF_HUB_CACHE", "/explicit"}});
  EXPECT_EQ(cache_root(), "/explicit");
}

TEST(HubEnv, EndpointAndOfflineFlags) {
  ScopedEnv env({{"HF_ENDPOINT", std::nullopt}, {"HF_HUB_OFFLINE", std::nullopt}, {"TRANSFORMERS_OFFLINE", std::nullopt}});
  EXPECT_EQ(endpoint(), "https://huggingface.co");
  EXPECT_FALSE(offline());
  {
    ScopedEnv e({{"HF_ENDPOINT", "http://mirror.local:8080//"}});
    EXPECT_EQ(endpoint(), "http://mirror.local:8080");
  }
  for (const char* yes : {"1", "true", "ON", "Yes"}) {
    ScopedEnv e({{"HF_HUB_OFFLINE", yes}});
    EXPECT_TRUE(offline()) << yes;
  }
  for (const char* no : {"0", "false", "off"}) {
    ScopedEnv e({{"HF_HUB_OFFLINE", no}});
    EXPECT_FALSE(offline()) << no;
  }
  ScopedEnv t({{"TRANSFORMERS_OFFLINE", "1"}});
  EXPECT_TRUE(offline());
  ScopedEnv h({{"HF_HUB_OFFLINE", "0"}});  // the first one set decides, as in Python
  EXPECT_FALSE(offline());
}

TEST(HubEnv, TokenFromVariableThenFile) {
  const auto home = test::temp_dir() / "token-home";
  std::filesystem::create_directories(home);
  ScopedEnv env({{"HF_TOKEN", std::nullopt}, {"HF_TOKEN_PATH", std::nullopt}, {"HF_HOME", home.string()}});
  EXPECT_FALSE(token().has_value());
  std::ofstream(home / "token") << "  hf_file \n";
  EXPECT_EQ(token(), "hf_file");
  ScopedEnv var({{"HF_TOKEN", "hf_env"}});
  EXPECT_EQ(token(), "hf_env");
}

TEST(RepoId, ShortNamesAndValidation) {
  EXPECT_EQ(canonical_repo_id("all-MiniLM-L6-v2"), "sentence-transformers/all-MiniLM-L6-v2");
  EXPECT_EQ(canonical_repo_id("minishlab/potion-base-8M"), "minishlab/potion-base-8M");
  for (const char* bad : {"a/b/c", "a--b", "a..b", "-a", "a b", "", "org/"})
    EXPECT_THROW(canonical_repo_id(bad), InvalidArgument) << bad;
  EXPECT_EQ(repo_folder_name("minishlab/potion-base-8M"), "models--minishlab--potion-base-8M");
  EXPECT_TRUE(is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_hash("main"));
  EXPECT_FALSE(is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
}

}  // namespace
}  // namespace emb::hub
