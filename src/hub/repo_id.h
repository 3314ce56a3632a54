#pragma once
// Hub repository ids: validation as huggingface_hub's validate_repo_id does it,
// the sentence-transformers short-name rule and the cache folder name.
#include <string>

namespace emb::hub {

/// True when `s` has the shape of a hub id: "name" or "org/name" with letters,
/// digits, '-', '_' and '.', no "--" or "..", no leading/trailing '-' or '.', ≤ 96 chars.
bool looks_like_repo_id(const std::string& s);

/// "all-MiniLM-L6-v2" → "sentence-transformers/all-MiniLM-L6-v2"; "org/name" unchanged.
/// Throws InvalidArgument when `s` is not a valid hub id.
std::string canonical_repo_id(const std::string& s);

/// "org/name" → "models--org--name" (the folder under the cache root).
std::string repo_folder_name(const std::string& repo_id);

/// True for a full 40-hex commit hash (used as is, never resolved through refs/).
bool is_commit_hash(const std::string& revision);

}  // namespace emb::hub
