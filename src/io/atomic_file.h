#pragma once
// Crash-safe file writing: bytes go to a temporary file in the target's
// folder, which replaces the target only once everything is on disk. A reader
// never sees a half-written model, and a failed save leaves the old file intact.
//
// The temporary file has no name while it is written (Linux's O_TMPFILE):
// a process killed by any signal, kill -9 included, leaves nothing behind.
// It gets a name, `<target>.tmp-<pid>-N`, only at commit, for the instant
// between link and rename. Where the file system cannot make unnamed files,
// it is named `<target>.tmp-<pid>-XXXXXX` from the start. Either way, each
// new AtomicFile removes the `<target>.tmp-<pid>-*` files whose process is
// gone, so a killed writer's leftovers do not accumulate.
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace emb::io {

/// commit() flushes, fsyncs and renames the temporary file over the target;
/// without commit() the destructor discards it. Errors (emb::Error) name the target.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Binary output stream into the temporary file.
  std::ostream& stream() { return out_; }
  /// Flushes and fsyncs the bytes written, so that commit() is a rename and
  /// nothing slower: for outputs that should replace their targets together
  /// (prepare every one, then commit every one). Optional; at most once.
  void prepare();
  /// Makes the written bytes the target's content. Call at most once.
  void commit();

  const std::filesystem::path& target() const { return target_; }
  /// Whether the temporary file is unnamed (O_TMPFILE) rather than a named sibling.
  bool unnamed() const { return fd_ >= 0; }

 private:
  void open_named();

  std::filesystem::path target_;
  std::filesystem::path temp_;  // the named sibling, if any
  int fd_ = -1;                 // the unnamed file, if any
  std::ofstream out_;
  bool prepared_ = false;
  bool committed_ = false;
};

/// Replaces `target` with `bytes` through an AtomicFile.
void write_file_atomic(const std::filesystem::path& target, std::string_view bytes);

/// The whole content of `path`; ModelLoadError naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace emb::io
