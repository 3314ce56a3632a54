#pragma once
// One repository's folder in the Hugging Face cache, in huggingface_hub's layout:
//   models--ORG--NAME/refs/<revision>              the commit hash, no newline
//   models--ORG--NAME/blobs/<etag>                 file contents, named by ETag
//   models--ORG--NAME/snapshots/<commit>/<path>    relative symlinks to the blobs
//   models--ORG--NAME/.no_exist/<commit>/<path>    empty: the file is known not to exist
//   .locks/models--ORG--NAME/<etag>.lock           taken while a blob is written
#include <filesystem>
#include <optional>
#include <string>

namespace emb::hub {

class RepoCache {
 public:
  RepoCache(std::filesystem::path root, std::string repo_id);

  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& folder() const { return folder_; }
  const std::string& repo_id() const { return repo_id_; }

  /// The commit `revision` stands for: itself when it is a commit hash, else refs/<revision>.
  std::optional<std::string> commit_for(const std::string& revision) const;
  std::filesystem::path snapshot(const std::string& commit) const;

  enum class FileState { Present, Absent, Unknown };
  /// Whether `relative` is in the snapshot, recorded as absent, or not known.
  FileState file_state(const std::string& commit, const std::string& relative) const;

  std::filesystem::path blob_path(const std::string& etag) const;
  std::filesystem::path lock_path(const std::string& etag) const;

  /// snapshots/<commit>/<relative> → relative symlink to blobs/<etag> (a copy where
  /// the filesystem has no symlinks). Replaces what was there.
  void link(const std::string& commit, const std::string& relative, const std::string& etag) const;
  /// Records that the repo has no `relative` at `commit` (as huggingface_hub does).
  void mark_absent(const std::string& commit, const std::string& relative) const;
  /// refs/<revision> = commit, written to a temporary file then renamed.
  void write_ref(const std::string& revision, const std::string& commit) const;

 private:
  std::filesystem::path root_, folder_;
  std::string repo_id_;
};

/// A short random hex string for temporary file names.
std::string random_suffix();

}  // namespace emb::hub
