#pragma once
// Crash-safe file writing: bytes go to a temporary file next to the target,
// which replaces the target only once everything is on disk. A reader never
// sees a half-written model, and a failed save leaves the old file intact.
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace emb::io {

/// Writes `<target>.tmp-XXXXXX` in the target's folder. commit() flushes,
/// fsyncs and renames it over the target; without commit() the destructor
/// removes the temporary file. Errors (emb::Error) name the target.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Binary output stream into the temporary file.
  std::ostream& stream() { return out_; }
  /// Makes the written bytes the target's content. Call at most once.
  void commit();

  const std::filesystem::path& target() const { return target_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::ofstream out_;
  bool committed_ = false;
};

/// Replaces `target` with `bytes` through an AtomicFile.
void write_file_atomic(const std::filesystem::path& target, std::string_view bytes);

/// The whole content of `path`; ModelLoadError naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace emb::io
