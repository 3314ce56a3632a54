#include "train/body/folder_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "embetter/error.h"
#include "io/safetensors.h"

namespace emb::train::body {

// Trained floats are written with memcpy into little-endian files.
static_assert(std::endian::native == std::endian::little, "embetter assumes a little-endian host");

namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

// ---- float32 to the checkpoint's dtype -------------------------------------

/// IEEE half, rounded to nearest, ties to even (as PyTorch's .half() and
/// numpy's astype(float16)); nullopt beyond half's range. `f` is finite.
std::optional<std::uint16_t> to_f16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7fffffffu;
  // 65520 lies halfway between half's largest value, 65504, and 2^16; the tie
  // goes to the even neighbour, 2^16, which half cannot hold.
  if (magnitude >= 0x477ff000u) return std::nullopt;
  if (magnitude < 0x38800000u) {
    // Below 2^-14 half is subnormal: a count of 2^-24 units. Scaling by 2^24
    // is exact, and nearbyint rounds ties to even (the default rounding
    // mode). A count of 1024 is half's smallest normal, encoded the same way.
    const float units = std::nearbyint(std::bit_cast<float>(magnitude) * 16777216.0f);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(units));
  }
  // Drop 13 of the 23 mantissa bits, ties to even; a carry out of the
  // mantissa moves into the exponent, which is what rounding up must do.
  // Then rebias the exponent from 127 to 15.
  const std::uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | ((rounded >> 13) - (112u << 10)));
}

/// bfloat16 (float32's upper half), rounded to nearest, ties to even;
/// nullopt where that rounds to infinity. `f` is finite.
std::optional<std::uint16_t> to_bf16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
  if (((rounded >> 23) & 0xffu) == 0xffu) return std::nullopt;
  return static_cast<std::uint16_t>(rounded >> 16);
}

// ---- what each rewritten safetensors file gets -----------------------------

struct Patch {
  std::uint64_t at = 0;  // byte offset in the file
  std::vector<std::byte> bytes;
};

/// Patches by safetensors file, relative to the source folder.
using Plan = std::map<fs::path, std::vector<Patch>>;

/// "<source>/model.safetensors: 'encoder.layer.0.attention.self.query.weight'"
std::string tensor_text(const fs::path& file, const std::string& name) { return file.string() + ": '" + name + "'"; }

/// A ref's file as a path inside the source folder; InvalidArgument for one
/// that could point elsewhere.
fs::path relative_file(const ParameterRef& ref) {
  const fs::path rel = fs::path(ref.file).lexically_normal();
  EMB_CHECK(!ref.file.empty() && rel.is_relative() && rel.has_filename() && *rel.begin() != "..",
            "write_sentence_folder: parameter '", ref.name, "' names the file '", ref.file,
            "'; expected a path inside the sentence-transformers folder, such as 'model.safetensors'");
  return rel;
}

std::uint64_t element_count(std::span<const std::int64_t> shape) {
  std::uint64_t n = 1;
  for (const auto d : shape) n *= static_cast<std::uint64_t>(d);  // validated by SafetensorsFile::open
  return n;
}

/// `ref`'s values in the tensor's dtype, refusing what the file could not
/// hold faithfully: non-finite values, values beyond F16's or BF16's range.
std::vector<std::byte> encode(const ParameterRef& ref, io::DType dtype, const std::string& where) {
  const std::size_t size = io::dtype_size(dtype);
  std::vector<std::byte> out(ref.values.size() * size);
  for (std::size_t i = 0; i < ref.values.size(); ++i) {
    const float v = ref.values[i];
    EMB_CHECK(std::isfinite(v), where, ": the trained value of element ", ref.offset + i, " is ", v,
              "; weights must be finite (did training diverge? try a lower learning rate)");
    std::byte* dst = out.data() + i * size;
    if (dtype == io::DType::F32) {
      std::memcpy(dst, &v, 4);
      continue;
    }
    const auto h = dtype == io::DType::F16 ? to_f16(v) : to_bf16(v);
    EMB_CHECK(h.has_value(), where, ": the trained value of element ", ref.offset + i, " is ", v,
              ", beyond the range of the tensor's dtype ", io::dtype_name(dtype),
              dtype == io::DType::F16 ? " (largest 65504)" : " (largest about 3.39e38)");
    std::memcpy(dst, &*h, 2);
  }
  return out;
}

/// The patches of one safetensors file, after checking every ref against it.
std::vector<Patch> plan_file(const fs::path& path, std::span<const ParameterRef* const> refs) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path);  // ModelLoadError if missing or corrupt
  // The tensors tile the data buffer exactly (open() checks it), so the
  // buffer is the file's last `data_size` bytes.
  std::uint64_t data_size = 0;
  for (const auto& name : file.names()) data_size = std::max<std::uint64_t>(data_size, file.info(name).end);
  std::error_code ec;
  const std::uint64_t file_size = fs::file_size(path, ec);
  EMB_CHECK_AS(ModelLoadError, !ec, path.string(), ": cannot read its size: ", ec.message());
  const std::uint64_t data_start = file_size - data_size;

  std::vector<Patch> patches;
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>> covered;  // element ranges per tensor
  for (const ParameterRef* ref : refs) {
    const std::string where = tensor_text(path, ref->name);
    EMB_CHECK(file.contains(ref->name), path.string(), ": no tensor named '", ref->name,
              "'; a trained parameter of shape ", io::shape_text(ref->shape), " expects it there");
    const io::TensorInfo& info = file.info(ref->name);
    EMB_CHECK(info.shape == ref->shape, where, " has shape ", io::shape_text(info.shape),
              "; the trained parameter expects ", io::shape_text(ref->shape));
    EMB_CHECK(info.dtype == io::DType::F32 || info.dtype == io::DType::F16 || info.dtype == io::DType::BF16, where,
              " has dtype ", io::dtype_name(info.dtype),
              "; trained values can only go into F32, F16 or BF16 tensors");
    const std::uint64_t numel = element_count(info.shape);
    const std::uint64_t count = ref->values.size();
    EMB_CHECK(ref->offset <= numel && count <= numel - ref->offset, where, " holds ", numel,
              " values; the trained parameter covers elements [", ref->offset, ", ", ref->offset + count, ")");
    if (count == 0) continue;
    covered[ref->name].emplace_back(ref->offset, ref->offset + count);
    const std::size_t size = io::dtype_size(info.dtype);
    patches.push_back({data_start + info.begin + ref->offset * size, encode(*ref, info.dtype, where)});
  }
  // Two refs over the same elements would make the result depend on their
  // order: a bug in whoever built them, not something to settle silently.
  for (auto& [name, ranges] : covered) {
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i)
      EMB_CHECK(ranges[i].first >= ranges[i - 1].second, tensor_text(path, name),
                ": two trained parameters overlap (elements [", ranges[i - 1].first, ", ", ranges[i - 1].second,
                ") and [", ranges[i].first, ", ", ranges[i].second, "))");
  }
  return patches;
}

Plan plan_patches(const fs::path& source, std::span<const ParameterRef> params) {
  std::map<fs::path, std::vector<const ParameterRef*>> by_file;
  for (const ParameterRef& ref : params) by_file[relative_file(ref)].push_back(&ref);
  Plan plan;
  for (const auto& [rel, refs] : by_file) plan[rel] = plan_file(source / rel, refs);
  return plan;
}

// ---- the target -------------------------------------------------------------

enum class TargetKind { Missing, Empty, Model };

struct Target {
  fs::path path;  // absolute, symbolic links at the end resolved
  TargetKind kind = TargetKind::Missing;
};

bool inside(const fs::path& inner, const fs::path& outer) {
  const fs::path rel = inner.lexically_relative(outer);
  return !rel.empty() && rel != "." && *rel.begin() != "..";
}

Target resolve_target(const fs::path& source, const fs::path& target) {
  EMB_CHECK(!target.empty(), "write_sentence_folder: the target path is empty");
  Target t;
  t.path = fs::absolute(target).lexically_normal();
  if (!t.path.has_filename()) t.path = t.path.parent_path();  // "out/" means "out"
  std::error_code ec;
  if (fs::is_symlink(t.path, ec)) {
    const fs::path resolved = fs::canonical(t.path, ec);
    EMB_CHECK(!ec, target.string(), ": is a symbolic link to nothing (", ec.message(),
              "); expected a new path or a model folder");
    t.path = resolved;
  }
  const fs::file_status status = fs::status(t.path, ec);
  if (!fs::exists(status)) {
    t.kind = TargetKind::Missing;
  } else {
    EMB_CHECK(fs::is_directory(status), target.string(),
              ": exists and is not a folder; expected a new path or a sentence-transformers folder to replace");
    if (fs::is_empty(t.path, ec) && !ec) {
      t.kind = TargetKind::Empty;
    } else {
      EMB_CHECK(fs::exists(t.path / "modules.json") || fs::exists(t.path / "config.json"), target.string(),
                ": is a folder with files but no modules.json or config.json, so not a model folder; refusing to "
                "replace it (it may hold other data). Save to a new or empty folder, or over a model folder");
      t.kind = TargetKind::Model;
    }
  }
  // A target inside the source would be copied into itself; a source inside
  // the target would be deleted with the old target.
  const fs::path s = fs::canonical(source);
  const fs::path d = fs::weakly_canonical(t.path);
  EMB_CHECK(!inside(d, s), target.string(), ": lies inside the source folder ", source.string(),
            "; expected a path outside it (or the source folder itself)");
  EMB_CHECK(!inside(s, d), target.string(), ": holds the source folder ", source.string(),
            "; expected a path that does not contain it (or the source folder itself)");
  return t;
}

// ---- temporary siblings -----------------------------------------------------

/// "<target>.<kind>-<pid>-": our siblings' prefix, so that a later run can
/// tell whose they are.
std::string sibling_prefix(const fs::path& target, const char* kind) {
  return target.filename().string() + "." + kind + "-" + std::to_string(::getpid()) + "-";
}

/// Creates a fresh empty folder `<target>.<kind>-<pid>-XXXXXX` next to `target`.
fs::path make_sibling(const fs::path& target, const char* kind) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = sibling_prefix(target, kind);
    for (int i = 0; i < 6; ++i) name += kChars[rd() % (sizeof(kChars) - 1)];
    const fs::path candidate = target.parent_path() / name;
    if (::mkdir(candidate.c_str(), 0777) == 0) return candidate;
    EMB_CHECK_AS(Error, errno == EEXIST, target.string(), ": cannot create a temporary folder next to it: ",
                 errno_text());
  }
  throw Error(target.string() + ": could not find a free temporary folder name next to it");
}

/// Removes `<target>.tmp-<pid>-XXXXXX` folders whose process is gone: what a
/// writer killed mid-copy left. (The `.old-` folders are left alone: a writer
/// killed between its two renames leaves the only copy of the old model there.)
void remove_stale_temporaries(const fs::path& target) {
  const std::string stem = target.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(stem)) continue;
    const std::string rest = name.substr(stem.size());
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash ||
        rest.size() != dash + 7)
      continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

/// Removes its folder when it goes: the half-built copy after an error, the
/// replaced model after an exchange, nothing after a plain rename.
class ScratchFolder {
 public:
  explicit ScratchFolder(fs::path path) : path_(std::move(path)) {}
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ---- copying ------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now, reporting the error close() may be the first to see (NFS, quotas).
  bool close() {
    const int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

void write_all(int fd, const std::byte* data, std::size_t n, std::uint64_t at, bool positioned,
               const fs::path& to) {
  while (n > 0) {
    const ssize_t w = positioned ? ::pwrite(fd, data, n, static_cast<off_t>(at)) : ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    EMB_CHECK_AS(Error, w > 0, to.string(), ": write failed: ", w < 0 ? errno_text() : "no progress",
                 " (disk full?)");
    data += w;
    at += static_cast<std::uint64_t>(w);
    n -= static_cast<std::size_t>(w);
  }
}

/// Copies `from` (following symbolic links) to the new file `to`, applies the
/// patches and fsyncs it.
void copy_file(const fs::path& from, const fs::path& to, std::span<const Patch> patches) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  EMB_CHECK_AS(ModelLoadError, in.get() >= 0, from.string(), ": cannot open: ", errno_text());
  // A fresh file's mode (0666 less the umask), not the source's: cache blobs
  // may be read-only, and the saved model is the user's to change.
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  EMB_CHECK_AS(Error, out.get() >= 0, to.string(), ": cannot create: ", errno_text());
  std::vector<std::byte> buffer(1 << 20);
  for (;;) {
    const ssize_t r = ::read(in.get(), buffer.data(), buffer.size());
    if (r < 0 && errno == EINTR) continue;
    EMB_CHECK_AS(ModelLoadError, r >= 0, from.string(), ": read failed: ", errno_text());
    if (r == 0) break;
    write_all(out.get(), buffer.data(), static_cast<std::size_t>(r), 0, false, to);
  }
  for (const Patch& p : patches) write_all(out.get(), p.bytes.data(), p.bytes.size(), p.at, true, to);
  EMB_CHECK_AS(Error, ::fsync(out.get()) == 0, to.string(), ": fsync failed: ", errno_text());
  EMB_CHECK_AS(Error, out.close(), to.string(), ": close failed: ", errno_text());
}

/// Best effort: some file systems refuse to fsync a folder.
void fsync_folder(const fs::path& folder) {
  if (int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// The same weights in the formats we do not rewrite: stale once the
/// safetensors file beside them holds the trained values.
bool other_weight_format(const std::string& name) {
  return name.starts_with("pytorch_model") || name.starts_with("tf_model") || name.starts_with("flax_model") ||
         name == "rust_model.ot" || name == "onnx" || name == "openvino";
}

class FolderCopier {
 public:
  explicit FolderCopier(const Plan& plan) : plan_(plan) {
    for (const auto& [rel, patches] : plan_) rewritten_folders_.insert(rel.parent_path());
  }

  void copy(const fs::path& source, const fs::path& dest) {
    copy_folder(source, dest, fs::path());
    for (const auto& [rel, patches] : plan_)
      EMB_CHECK(written_.contains(rel), (source / rel).string(),
                ": a trained parameter names this file, but it is not part of the saved folder");
  }

 private:
  bool skipped(const fs::path& rel) const {
    const std::string name = rel.filename().string();
    if (rel.parent_path().empty() && (name == ".git" || name == ".cache")) return true;
    return rewritten_folders_.contains(rel.parent_path()) && other_weight_format(name) && !plan_.contains(rel);
  }

  void copy_folder(const fs::path& from, const fs::path& to, const fs::path& rel) {
    std::error_code ec;
    // Symbolic links to folders are followed; one that leads back to a
    // folder being copied would never end.
    const fs::path real = fs::canonical(from, ec);
    EMB_CHECK_AS(ModelLoadError, !ec, from.string(), ": cannot resolve: ", ec.message());
    EMB_CHECK_AS(ModelLoadError, active_.insert(real).second, from.string(),
                 ": symbolic links lead back to a folder being copied (a loop)");
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    EMB_CHECK_AS(ModelLoadError, !ec, from.string(), ": cannot list the folder: ", ec.message());
    std::sort(entries.begin(), entries.end());

    for (const fs::path& entry : entries) {
      const fs::path name = entry.filename();
      const fs::path entry_rel = rel / name;
      if (skipped(entry_rel)) continue;
      const fs::file_status status = fs::status(entry, ec);
      if (!fs::exists(status)) {
        std::error_code link_ec;
        const bool link = fs::is_symlink(entry, link_ec);
        throw ModelLoadError(entry.string() + (link ? ": is a symbolic link to a missing file (" +
                                                          fs::read_symlink(entry, link_ec).string() +
                                                          "; an incomplete Hugging Face cache snapshot?)"
                                                    : ": cannot read: " + ec.message()));
      }
      if (fs::is_directory(status)) {
        EMB_CHECK_AS(Error, ::mkdir((to / name).c_str(), 0777) == 0, (to / name).string(),
                     ": cannot create the folder: ", errno_text());
        copy_folder(entry, to / name, entry_rel);
      } else {
        EMB_CHECK_AS(ModelLoadError, fs::is_regular_file(status), entry.string(),
                     ": is neither a file nor a folder; a model folder holds only those");
        const auto it = plan_.find(entry_rel);
        copy_file(entry, to / name, it == plan_.end() ? std::span<const Patch>() : std::span(it->second));
        if (it != plan_.end()) written_.insert(entry_rel);
      }
    }
    fsync_folder(to);
    active_.erase(real);
  }

  const Plan& plan_;
  std::set<fs::path> rewritten_folders_;
  std::set<fs::path> written_;
  std::set<fs::path> active_;  // real paths of the folders being copied
};

// ---- the swap -----------------------------------------------------------------

/// Puts the finished folder `built` at the target. After an exchange `built`
/// holds the replaced model (removed by its ScratchFolder).
void swap_in(const fs::path& built, const Target& target) {
  const std::string where = target.path.string();
  if (target.kind != TargetKind::Model) {
    // rename() replaces an empty folder and fails if files appeared in it meanwhile.
    EMB_CHECK_AS(Error, ::rename(built.c_str(), target.path.c_str()) == 0, where,
                 ": cannot move the written folder into place: ", errno_text());
    return;
  }
#if defined(RENAME_EXCHANGE)
  // One step: there is never a moment without a model at the target.
  if (::renameat2(AT_FDCWD, built.c_str(), AT_FDCWD, target.path.c_str(), RENAME_EXCHANGE) == 0) return;
  EMB_CHECK_AS(Error, errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP, where,
               ": cannot exchange the written folder with the old one: ", errno_text());
#endif
  // No exchange on this file system: the old folder goes aside first (rename
  // replaces the empty folder that reserves its name), then comes back if the
  // new one cannot go in.
  const fs::path aside = make_sibling(target.path, "old");
  if (::rename(target.path.c_str(), aside.c_str()) != 0) {
    const std::string reason = errno_text();
    ::rmdir(aside.c_str());
    throw Error(where + ": cannot move the old model folder aside: " + reason);
  }
  if (::rename(built.c_str(), target.path.c_str()) != 0) {
    const std::string reason = errno_text();
    const bool restored = ::rename(aside.c_str(), target.path.c_str()) == 0;
    throw Error(where + ": cannot move the written folder into place: " + reason +
                (restored ? "" : "; the old model folder is at " + aside.string()));
  }
  std::error_code ec;
  fs::remove_all(aside, ec);
}

}  // namespace

void write_sentence_folder(const fs::path& source, std::span<const ParameterRef> params, const fs::path& target) {
  std::error_code ec;
  EMB_CHECK(fs::is_directory(source, ec), source.string(),
            ": is not a folder; expected the sentence-transformers folder the parameters were loaded from");
  const Target dest = resolve_target(source, target);
  const Plan plan = plan_patches(source, params);

  fs::create_directories(dest.path.parent_path(), ec);
  EMB_CHECK_AS(Error, !ec, dest.path.parent_path().string(), ": cannot create the folder: ", ec.message());
  remove_stale_temporaries(dest.path);
  const ScratchFolder built(make_sibling(dest.path, "tmp"));
  FolderCopier copier(plan);
  copier.copy(source, built.path());
  swap_in(built.path(), dest);
  fsync_folder(dest.path.parent_path());
}

}  // namespace emb::train::body
