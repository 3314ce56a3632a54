#pragma once
// A FileSource over one cached snapshot: never touches the network, and
// remembers which required files the snapshot lacks.
#include <string>
#include <vector>

#include "hub/model_files.h"
#include "hub/repo_cache.h"

namespace emb::hub {

class CacheSource : public FileSource {
 public:
  CacheSource(const RepoCache& cache, std::string commit) : cache_(cache), commit_(std::move(commit)) {}
  std::optional<std::filesystem::path> get(const std::string& relative, Need need) override;
  /// Required files the snapshot does not have.
  const std::vector<std::string>& missing() const { return missing_; }

 private:
  const RepoCache& cache_;
  std::string commit_;
  std::vector<std::string> missing_;
};

}  // namespace emb::hub
