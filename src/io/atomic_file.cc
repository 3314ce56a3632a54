#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "embetter/error.h"

namespace emb::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

// fsync through a fresh descriptor: std::ofstream does not expose its own.
void fsync_path(const std::filesystem::path& path, int flags, const std::filesystem::path& target) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  EMB_CHECK_AS(Error, fd >= 0, target.string(), ": cannot reopen ", path.string(), " to sync it: ", errno_text());
  const bool ok = ::fsync(fd) == 0;
  const std::string reason = ok ? "" : errno_text();
  ::close(fd);
  EMB_CHECK_AS(Error, ok, target.string(), ": fsync failed: ", reason);
}

std::filesystem::path folder_of(const std::filesystem::path& target) {
  return target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
}

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

/// ".tmp-<pid>-": our temporary files' infix, so that a later run can tell
/// whose they are.
std::string temp_prefix() { return ".tmp-" + std::to_string(::getpid()) + "-"; }

/// Removes `<target>.tmp-<pid>-*` files whose process no longer exists: what
/// a killed writer left where unnamed files were not available.
void remove_stale_temporaries(const std::filesystem::path& target) {
  const std::string stem = target.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_of(target), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(stem)) continue;
    const std::string rest = name.substr(stem.size());
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash) continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  EMB_CHECK(!target_.empty(), "AtomicFile: empty target path");
  EMB_CHECK(!std::filesystem::is_directory(target_), target_.string(), ": is a directory; expected a file path");
  const std::filesystem::path dir = folder_of(target_);
  remove_stale_temporaries(target_);
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd_ >= 0) {
    out_.open(proc_path(fd_), std::ios::binary | std::ios::trunc);
    if (out_) return;
    ::close(fd_);  // no /proc to reach the unnamed file through: name it
    fd_ = -1;
  } else {
    // EISDIR/EOPNOTSUPP: the file system has no unnamed files. Anything else
    // (a missing folder, no permission) fails the named file the same way.
  }
  open_named();
}

void AtomicFile::open_named() {
  // O_EXCL with a random suffix reserves a fresh name (mkstemp would force mode
  // 0600; this keeps the usual 0666 & ~umask of a newly written file).
  std::random_device rd;
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix = temp_prefix();
    for (int i = 0; i < 6; ++i) suffix += kChars[rd() % (sizeof(kChars) - 1)];
    std::filesystem::path candidate = target_;
    candidate += suffix;
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      temp_ = std::move(candidate);
      break;
    }
    EMB_CHECK_AS(Error, errno == EEXIST, target_.string(), ": cannot create a temporary file next to it: ",
                 errno_text());
  }
  EMB_CHECK_AS(Error, !temp_.empty(), target_.string(), ": could not find a free temporary file name");
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
    throw Error(target_.string() + ": cannot open temporary file " + temp_.string());
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  if (fd_ >= 0) ::close(fd_);  // the unnamed file goes with its last descriptor
  if (!temp_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::prepare() {
  EMB_CHECK_AS(Error, !prepared_ && !committed_, target_.string(), ": AtomicFile::prepare called twice");
  out_.flush();
  out_.close();
  EMB_CHECK_AS(Error, !out_.fail(), target_.string(), ": writing the temporary file failed (disk full?)");
  if (fd_ >= 0)
    EMB_CHECK_AS(Error, ::fsync(fd_) == 0, target_.string(), ": fsync failed: ", errno_text());
  else
    fsync_path(temp_, O_RDONLY, target_);
  prepared_ = true;
}

void AtomicFile::commit() {
  EMB_CHECK_AS(Error, !committed_, target_.string(), ": AtomicFile::commit called twice");
  if (!prepared_) prepare();
  if (fd_ >= 0) {
    // rename() cannot take an unnamed file: link it under a fresh sibling
    // name first (linkat fails with EEXIST rather than replace anything).
    const std::string from = proc_path(fd_);
    for (int attempt = 0; temp_.empty() && attempt < 100; ++attempt) {
      std::filesystem::path candidate = target_;
      candidate += temp_prefix() + std::to_string(attempt);
      if (::linkat(AT_FDCWD, from.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0)
        temp_ = std::move(candidate);
      else
        EMB_CHECK_AS(Error, errno == EEXIST, target_.string(), ": cannot name the temporary file: ", errno_text());
    }
    EMB_CHECK_AS(Error, !temp_.empty(), target_.string(), ": could not find a free temporary file name");
    ::close(fd_);
    fd_ = -1;
  }
  EMB_CHECK_AS(Error, ::rename(temp_.c_str(), target_.c_str()) == 0, target_.string(),
               ": cannot rename the temporary file over it: ", errno_text());
  committed_ = true;
  // Persist the rename itself; best effort, some file systems refuse directory fsync.
  if (int fd = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomic(const std::filesystem::path& target, std::string_view bytes) {
  AtomicFile file(target);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  EMB_CHECK_AS(ModelLoadError, std::filesystem::exists(path, ec), path.string(), ": no such file");
  EMB_CHECK_AS(ModelLoadError, !std::filesystem::is_directory(path, ec), path.string(),
               ": is a directory; expected a file");
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), path.string(), ": cannot open for reading: ", errno_text());
  std::string bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  EMB_CHECK_AS(ModelLoadError, size >= 0, path.string(), ": cannot determine the file size");
  bytes.resize(static_cast<std::size_t>(size));
  in.read(bytes.data(), size);
  EMB_CHECK_AS(ModelLoadError, in.gcount() == size, path.string(), ": read ", in.gcount(), " of ", size,
               " bytes");
  return bytes;
}

}  // namespace emb::io
