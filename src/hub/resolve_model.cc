// resolve_model: local folder → cache → packaged model → download (see hub.h).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "embetter/error.h"
#include "embetter/hub.h"
#include "hub/cache_source.h"
#include "hub/hub_download.h"
#include "hub/hub_env.h"
#include "hub/packaged_models.h"
#include "hub/repo_cache.h"
#include "hub/repo_id.h"

namespace emb {
namespace fs = std::filesystem;
namespace {

// "./x", "/x", "~/x", "a/b/c": the caller meant a folder, not a hub id.
bool looks_like_path(const std::string& s) {
  if (s.empty()) return false;
  if (s[0] == '/' || s[0] == '.' || s[0] == '~' || s.find('\\') != std::string::npos) return true;
  return std::count(s.begin(), s.end(), '/') > 1;
}

fs::path expand_user(const std::string& s) {
  if (!s.empty() && s[0] == '~' && (s.size() == 1 || s[1] == '/')) {
    if (const char* home = std::getenv("HOME")) return fs::path(home + s.substr(1));
  }
  return s;
}

std::string join(const std::vector<std::string>& items) {
  std::ostringstream os;
  for (std::size_t i = 0; i < items.size(); ++i) os << (i ? ", " : "") << items[i];
  return os.str();
}

}  // namespace

fs::path hub_cache_dir() { return hub::cache_root(); }

fs::path resolve_model(const std::string& name_or_path, const HubOptions& opts) {
  EMB_CHECK(!name_or_path.empty(), "resolve_model: the model name or path is empty");
  EMB_CHECK(!opts.revision.empty(), "resolve_model: the revision is empty (use \"main\")");
  const fs::path local = expand_user(name_or_path);
  std::error_code ec;
  if (fs::exists(local, ec)) {
    EMB_CHECK_AS(ModelLoadError, fs::is_directory(local, ec), "'", name_or_path,
                 "' is a file; expected a model folder (with config.json, model.safetensors, ...) or a hub id");
    return local;
  }
  EMB_CHECK_AS(ModelLoadError, !looks_like_path(name_or_path), "the model folder '", name_or_path,
               "' does not exist (and it is not a Hugging Face hub id)");

  const std::string repo_id = hub::canonical_repo_id(name_or_path);
  const hub::RepoCache cache(hub::cache_root(), repo_id);

  std::vector<std::string> missing;
  if (auto commit = cache.commit_for(opts.revision); commit && fs::is_directory(cache.snapshot(*commit), ec)) {
    hub::CacheSource source(cache, *commit);
    hub::collect_model_files(source);
    if (source.missing().empty()) return cache.snapshot(*commit);
    missing = source.missing();
  }

  if (opts.revision == "main")
    if (auto packaged = hub::find_packaged_model(repo_id)) return *packaged;

  if (hub::offline()) {
    std::string what = missing.empty() ? "is not in the Hugging Face cache"
                                       : "is only partly in the Hugging Face cache (missing " + join(missing) + ")";
    throw ModelLoadError("'" + repo_id + "' (revision '" + opts.revision + "') " + what + " at " +
                         cache.folder().string() +
                         ", and offline mode is on (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE), so nothing is "
                         "downloaded. Download it once while online (unset HF_HUB_OFFLINE, or run "
                         "`huggingface-cli download " +
                         repo_id + "`), point HF_HUB_CACHE or HF_HOME at a cache that has it, or pass a local "
                         "model folder.");
  }

  hub::HubDownload download(cache, hub::endpoint(), opts.revision, hub::token(), opts.show_progress);
  hub::collect_model_files(download);
  EMB_CHECK_AS(ModelLoadError, download.commit().has_value(), hub::endpoint(), " never named the commit of '", repo_id, "'");
  cache.write_ref(opts.revision, *download.commit());
  return cache.snapshot(*download.commit());
}

}  // namespace emb
