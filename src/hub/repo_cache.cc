#include "hub/repo_cache.h"

#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "embetter/error.h"
#include "hub/repo_id.h"

namespace emb::hub {
namespace fs = std::filesystem;

std::string random_suffix() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  std::ostringstream os;
  os << std::hex << (gen() & 0xffffffffULL);
  return os.str();
}

RepoCache::RepoCache(fs::path root, std::string repo_id)
    : root_(std::move(root)), folder_(root_ / repo_folder_name(repo_id)), repo_id_(std::move(repo_id)) {}

std::optional<std::string> RepoCache::commit_for(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(folder_ / "refs" / revision);
  std::string commit;
  if (!in || !std::getline(in, commit)) return std::nullopt;
  while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
  if (!is_commit_hash(commit)) return std::nullopt;
  return commit;
}

fs::path RepoCache::snapshot(const std::string& commit) const { return folder_ / "snapshots" / commit; }

RepoCache::FileState RepoCache::file_state(const std::string& commit, const std::string& relative) const {
  std::error_code ec;
  // is_regular_file follows the symlink: a dangling link (blob deleted) is not "present".
  if (fs::is_regular_file(snapshot(commit) / relative, ec)) return FileState::Present;
  if (fs::is_regular_file(folder_ / ".no_exist" / commit / relative, ec)) return FileState::Absent;
  return FileState::Unknown;
}

fs::path RepoCache::blob_path(const std::string& etag) const { return folder_ / "blobs" / etag; }

fs::path RepoCache::lock_path(const std::string& etag) const {
  return root_ / ".locks" / repo_folder_name(repo_id_) / (etag + ".lock");
}

void RepoCache::link(const std::string& commit, const std::string& relative, const std::string& etag) const {
  const fs::path pointer = snapshot(commit) / relative;
  const fs::path blob = blob_path(etag);
  fs::create_directories(pointer.parent_path());
  std::error_code ec;
  fs::remove(pointer, ec);
  // Relative, like huggingface_hub, so the cache folder can be moved as a whole.
  fs::create_symlink(fs::relative(blob, pointer.parent_path()), pointer, ec);
  if (ec) {
    fs::copy_file(blob, pointer, fs::copy_options::overwrite_existing, ec);
    EMB_CHECK_AS(ModelLoadError, !ec, "cannot place ", blob.string(), " at ", pointer.string(), ": ", ec.message());
  }
}

void RepoCache::mark_absent(const std::string& commit, const std::string& relative) const {
  const fs::path marker = folder_ / ".no_exist" / commit / relative;
  std::error_code ec;
  fs::create_directories(marker.parent_path(), ec);
  std::ofstream touch(marker, std::ios::app);  // best effort: only a hint for later lookups
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path ref = folder_ / "refs" / revision;
  fs::create_directories(ref.parent_path());
  const fs::path tmp = ref.parent_path() / (ref.filename().string() + "." + random_suffix() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << commit;  // no newline: huggingface_hub compares the whole file with the hash
    out.close();
    EMB_CHECK_AS(ModelLoadError, out.good(), "cannot write ", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, ref, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ModelLoadError("cannot write " + ref.string());
  }
}

}  // namespace emb::hub
