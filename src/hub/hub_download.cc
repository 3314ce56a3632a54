#include "hub/hub_download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <system_error>

#include "embetter/error.h"
#include "hub/progress_bar.h"
#include "hub/repo_id.h"

namespace emb::hub {
namespace fs = std::filesystem;
namespace {

// An exclusive flock on the lock file huggingface_hub's filelock also uses, so a
// Python process and ours never write the same blob at once.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fs::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    EMB_CHECK_AS(ModelLoadError, fd_ >= 0, "cannot create the lock file ", path.string(),
                 " (is the Hugging Face cache writable?)");
    ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Removes a temporary file unless it was renamed into place.
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove(path_, ec);
    }
  }
  void commit_to(const fs::path& target) {
    fs::rename(path_, target);
    path_.clear();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// huggingface_hub's _normalize_etag: drop a weak-validator prefix and the quotes.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool safe_blob_name(const std::string& etag) {
  if (etag.empty() || etag.size() > 200) return false;
  for (unsigned char c : etag)
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

std::optional<std::uint64_t> parse_size(const std::string& s) {
  if (s.empty()) return std::nullopt;
  try {
    return std::stoull(s);
  } catch (...) {
    return std::nullopt;
  }
}

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return url.substr(0, slash);
}

}  // namespace

HubDownload::HubDownload(const RepoCache& cache, std::string endpoint, std::string revision,
                         std::optional<std::string> token, bool show_progress)
    : cache_(cache),
      endpoint_(std::move(endpoint)),
      revision_(std::move(revision)),
      has_token_(token.has_value()),
      show_progress_(show_progress),
      http_(token ? std::vector<std::string>{"Authorization: Bearer " + *token} : std::vector<std::string>{}),
      cdn_http_({}) {}

std::string HubDownload::file_url(const std::string& relative) const {
  return endpoint_ + "/" + cache_.repo_id() + "/resolve/" + HttpClient::escape(commit_.value_or(revision_), false) +
         "/" + HttpClient::escape(relative, true);
}

// Like huggingface_hub, follow redirects that stay on the hub's host (renamed
// repos, resolve caches) for metadata; one to another host points at the CDN
// and its own response carries the metadata of the file.
HttpResponse HubDownload::head_following_hub_redirects(std::string& url) const {
  for (int hop = 0; hop < 10; ++hop) {
    HttpResponse r = http_.head(url);
    const std::string location = r.header("location");
    if (!is_redirect(r.status) || location.empty()) return r;
    if (location[0] == '/') {
      url = origin_of(url) + location;
    } else if (origin_of(location) == origin_of(url)) {
      url = location;
    } else {
      return r;
    }
  }
  throw ModelLoadError("too many redirects from " + url);
}

std::optional<fs::path> HubDownload::get(const std::string& relative, Need need) {
  std::string url = file_url(relative);
  const std::string where = "'" + cache_.repo_id() + "' (revision '" + revision_ + "') on " + endpoint_;
  HttpResponse r;
  try {
    r = head_following_hub_redirects(url);
  } catch (const ModelLoadError& e) {
    throw ModelLoadError(std::string("cannot download ") + where + ": " + e.what() +
                         ". It is not in the Hugging Face cache (" + cache_.folder().string() +
                         ") either; check the network or HF_ENDPOINT, or pass a local model folder.");
  }
  const std::string error_code = r.header("x-error-code");
  if (r.status == 401 || r.status == 403) {
    throw ModelLoadError("access to " + where + " was refused (HTTP " + std::to_string(r.status) + "): " +
                         (has_token_ ? "the token in HF_TOKEN (or the token file) does not grant access to it"
                                     : "the repository does not exist or is private/gated; check the id, or "
                                       "set HF_TOKEN (or run `huggingface-cli login`) for a private or gated model"));
  }
  if (r.status == 404 && error_code == "RepositoryNotFound")
    throw ModelLoadError("repository " + where + " does not exist (HTTP 404); check the model id");
  if (r.status == 404 && error_code == "RevisionNotFound")
    throw ModelLoadError("revision '" + revision_ + "' of '" + cache_.repo_id() + "' does not exist on " + endpoint_);
  if (r.status == 404) {
    if (!commit_ && is_commit_hash(r.header("x-repo-commit"))) commit_ = r.header("x-repo-commit");
    if (need == Need::Required) {
      std::string hint;
      if (relative.ends_with("model.safetensors"))
        hint = " It has no pytorch_model.bin either; embetter reads one of the two (sharded, TensorFlow or "
               "Flax weights are not read).";
      throw ModelLoadError(where + " has no file '" + relative + "', which the model needs (HTTP 404 for " + url +
                           ")." + hint);
    }
    if (commit_) cache_.mark_absent(*commit_, relative);
    return std::nullopt;
  }
  if (r.status < 200 || r.status >= 400)
    throw ModelLoadError("HEAD " + url + " answered HTTP " + std::to_string(r.status) + " for " + where);

  const std::string commit = r.header("x-repo-commit");
  std::string etag = r.header("x-linked-etag");
  if (etag.empty()) etag = r.header("etag");
  etag = normalize_etag(etag);
  EMB_CHECK_AS(ModelLoadError, is_commit_hash(commit), url, " sent no valid X-Repo-Commit header (got '", commit,
               "'): is HF_ENDPOINT (", endpoint_, ") a Hugging Face hub?");
  EMB_CHECK_AS(ModelLoadError, safe_blob_name(etag), url, " sent no usable ETag (got '", etag,
               "'): is HF_ENDPOINT (", endpoint_, ") a Hugging Face hub?");
  if (!commit_) commit_ = commit;

  std::optional<std::uint64_t> size = parse_size(r.header("x-linked-size"));
  if (!size && !is_redirect(r.status)) size = parse_size(r.header("content-length"));
  const std::string download_url = is_redirect(r.status) ? r.header("location") : url;
  // A signed CDN URL needs no token, and the token must not leave the hub's host.
  const HttpClient& client = origin_of(download_url) == origin_of(url) ? http_ : cdn_http_;
  if (!fs::exists(cache_.blob_path(etag))) fetch_blob(client, download_url, etag, size, relative);
  cache_.link(*commit_, relative, etag);
  return cache_.snapshot(*commit_) / relative;
}

void HubDownload::fetch_blob(const HttpClient& client, const std::string& url, const std::string& etag, std::optional<std::uint64_t> size,
                             const std::string& relative) const {
  const fs::path blob = cache_.blob_path(etag);
  FileLock lock(cache_.lock_path(etag));
  if (fs::exists(blob)) return;  // another process finished it while we waited
  fs::create_directories(blob.parent_path());
  TempFile tmp(blob.parent_path() / (etag + "." + random_suffix() + ".incomplete"));
  std::FILE* out = std::fopen(tmp.path().c_str(), "wb");
  EMB_CHECK_AS(ModelLoadError, out, "cannot write ", tmp.path().string());
  DownloadProgressBar bar(cache_.repo_id() + "/" + relative, show_progress_);
  HttpResponse r;
  try {
    r = client.download(url, out, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
  } catch (const ModelLoadError& e) {
    std::fclose(out);
    throw ModelLoadError("download of '" + relative + "' from '" + cache_.repo_id() + "' failed: " + e.what() +
                         " (nothing was kept in the cache)");
  }
  const bool closed = std::fclose(out) == 0;
  EMB_CHECK_AS(ModelLoadError, r.status == 200, "download of '", relative, "' from ", url, " answered HTTP ", r.status);
  EMB_CHECK_AS(ModelLoadError, closed, "cannot write ", tmp.path().string(), " (disk full?)");
  const std::uint64_t got = fs::file_size(tmp.path());
  EMB_CHECK_AS(ModelLoadError, !size || got == *size, "download of '", relative, "' from '", cache_.repo_id(),
               "' is incomplete: got ", got, " of ", *size, " bytes (nothing was kept in the cache)");
  bar.finish();
  tmp.commit_to(blob);
}

}  // namespace emb::hub
