#include "hub/cache_source.h"

namespace emb::hub {

std::optional<std::filesystem::path> CacheSource::get(const std::string& relative, Need need) {
  // An optional file that was never fetched counts as absent: caches filled by the
  // Python tools hold only what those tools asked for.
  if (cache_.file_state(commit_, relative) == RepoCache::FileState::Present) return cache_.snapshot(commit_) / relative;
  if (need == Need::Required) missing_.push_back(relative);
  return std::nullopt;
}

}  // namespace emb::hub
