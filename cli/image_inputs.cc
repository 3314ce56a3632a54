#include "image_inputs.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>

#include "embetter/error.h"
#include "embetter/image.h"
#include "inputs.h"
#include "io/json_input.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 4> kImageExtensions = {".jpg", ".jpeg", ".png", ".webp"};

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kImageExtensions.begin(), kImageExtensions.end(), ext) != kImageExtensions.end();
}

/// The first bytes of a file (fewer when it is shorter); nullopt when it cannot be read.
std::optional<std::vector<std::uint8_t>> file_head(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<std::uint8_t> head(16);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

/// Checks that `path` is a readable JPEG, PNG or WebP file by its first bytes,
/// as the decoder tells formats (a corrupt body is found when it is decoded).
/// `where` names it in messages ("--images list.txt:3: 'a.jpg'").
void check_image_file(const fs::path& path, const std::string& where) {
  std::error_code ec;
  EMB_CHECK(fs::exists(path, ec), where, ": no such file");
  EMB_CHECK(!fs::is_directory(path, ec), where, ": is a folder; expected an image file");
  const auto head = file_head(path);
  EMB_CHECK(head.has_value(), where, ": cannot be read");
  EMB_CHECK(!head->empty(), where, ": the file is empty (0 bytes), not an image");
  EMB_CHECK(sniff_image_format(*head).has_value(), where, ": not a JPEG, PNG or WebP image (by its first bytes)");
}

/// A folder's image files: its regular files with an image extension (any
/// case), hidden files (a leading '.', such as macOS's "._" companions) left
/// out, subfolders not entered, sorted by file name (byte order).
std::vector<std::string> folder_images(const fs::path& folder, const std::string& argument) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code type_ec;
    if (p.filename().string().starts_with('.') || !has_image_extension(p) || !it->is_regular_file(type_ec)) continue;
    found.push_back(p);
  }
  EMB_CHECK(!ec, describe("--images", argument), ": the folder cannot be listed (", ec.message(), ")");
  EMB_CHECK(!found.empty(), describe("--images", argument),
            ": holds no image files (.jpg, .jpeg, .png or .webp; subfolders are not searched)");
  std::sort(found.begin(), found.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  std::vector<std::string> paths;
  for (const fs::path& p : found) {
    check_image_file(p, describe("--images", p));
    paths.push_back(p.string());
  }
  return paths;
}

/// A list file's images: one path a line, a relative one taken from the
/// list's folder (so a list travels with its images); lines of white space
/// only are skipped, a trailing '\r' and a leading UTF-8 byte-order mark
/// dropped.
std::vector<std::string> listed_images(const fs::path& list, const std::string& argument) {
  std::ifstream in(list, std::ios::binary);
  EMB_CHECK(in.good(), describe("--images", argument), ": cannot be read");
  const fs::path base = list.parent_path();
  std::vector<std::string> paths;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t\f\v") == std::string::npos) continue;
    const fs::path entry(line);
    const fs::path path = entry.is_absolute() ? entry : base / entry;
    std::string where = "--images " + argument + ":" + std::to_string(number) + ": '" + io::text_excerpt(line) + "'";
    if (entry.is_relative() && !base.empty()) where += " (" + io::text_excerpt(path.string()) + ")";
    check_image_file(path, where);
    paths.push_back(path.string());
  }
  EMB_CHECK(!paths.empty(), describe("--images", argument), ": lists no image files (the file is empty or blank)");
  return paths;
}

}  // namespace

/// Every --images argument in order, each a folder (its image files), an
/// image file (by its extension, or else by its first bytes) or a list file,
/// checked before the model loads.
std::vector<std::string> image_paths(const std::vector<std::string>& arguments) {
  std::vector<std::string> paths;
  for (const std::string& argument : arguments) {
    const fs::path path(argument);
    std::error_code ec;
    EMB_CHECK(fs::exists(path, ec), describe("--images", argument), ": no such file or folder");
    std::vector<std::string> more;
    if (fs::is_directory(path, ec)) {
      more = folder_images(path, argument);
    } else if (!fs::is_regular_file(path, ec)) {
      // A pipe would be read twice (its first bytes, then its lines).
      throw InvalidArgument(describe("--images", argument) +
                            ": is not a regular file; expected a folder, an image file or a list file");
    } else if (has_image_extension(path)) {
      check_image_file(path, describe("--images", argument));
      more = {argument};
    } else {
      const auto head = file_head(path);
      EMB_CHECK(head.has_value(), describe("--images", argument), ": cannot be read");
      if (sniff_image_format(*head)) more = {argument};
      else more = listed_images(path, argument);
    }
    paths.insert(paths.end(), more.begin(), more.end());
  }
  return paths;
}

}  // namespace emb::cli
