#include "plot/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "embetter/error.h"

namespace emb::plot {

void write_atomic(const std::filesystem::path& target, std::string_view bytes) {
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  std::string temp = (dir / (target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  EMB_CHECK_AS(Error, fd >= 0, target.string(), ": cannot create a temporary file in ", dir.string(), ": ",
               std::strerror(errno));
  // mkstemp creates the file private (0600); a chart is an ordinary output file.
  struct stat existing {};
  ::fchmod(fd, ::stat(target.c_str(), &existing) == 0 ? (existing.st_mode & 07777) : 0644);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  const bool ok = written == bytes.size() && ::fsync(fd) == 0 && ::close(fd) == 0;
  if (!ok || ::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = ok ? errno : saved;
    ::unlink(temp.c_str());
    throw Error(detail::concat(target.string(), ": cannot write: ", std::strerror(err)));
  }
}

}  // namespace emb::plot
