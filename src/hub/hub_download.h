#pragma once
// A FileSource that downloads from the hub into the cache, as huggingface_hub's
// hf_hub_download does: HEAD {endpoint}/{repo}/resolve/{revision}/{path} for the
// commit (X-Repo-Commit) and the blob name (X-Linked-Etag or ETag), GET into
// blobs/<etag>.<random>.incomplete, rename to blobs/<etag>, link from
// snapshots/<commit>/<path>. The first answer pins the commit; later files are
// asked for at that commit, so a push in between cannot mix two versions.
#include <optional>
#include <string>

#include "hub/http_client.h"
#include "hub/model_files.h"
#include "hub/repo_cache.h"

namespace emb::hub {

class HubDownload : public FileSource {
 public:
  HubDownload(const RepoCache& cache, std::string endpoint, std::string revision, std::optional<std::string> token,
              bool show_progress);
  /// Throws ModelLoadError when a required file is missing (404) or on any other failure.
  std::optional<std::filesystem::path> get(const std::string& relative, Need need) override;
  /// The commit the revision resolved to (after the first request).
  const std::optional<std::string>& commit() const { return commit_; }

 private:
  std::string file_url(const std::string& relative) const;
  HttpResponse head_following_hub_redirects(std::string& url) const;
  void fetch_blob(const HttpClient& client, const std::string& url, const std::string& etag, std::optional<std::uint64_t> size,
                  const std::string& relative) const;

  const RepoCache& cache_;
  std::string endpoint_, revision_;
  bool has_token_;
  bool show_progress_;
  HttpClient http_;      // sends the token: requests to the hub
  HttpClient cdn_http_;  // does not: downloads redirected to another host
  std::optional<std::string> commit_;
};

}  // namespace emb::hub
