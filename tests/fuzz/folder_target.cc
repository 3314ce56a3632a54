#include "folder_target.h"

#include <fstream>
#include <iterator>

namespace emb::fuzz {
namespace fs = std::filesystem;

FolderTarget::FolderTarget(const std::string& model, std::vector<std::string> files)
    : folder_(scratch_dir() / model), files_(std::move(files)) {
  fs::copy(fs::path(EMB_FUZZ_MODELS_DIR) / model, folder_, fs::copy_options::recursive);
  for (const auto& f : files_) {
    std::ifstream in(folder_ / f, std::ios::binary);
    originals_.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
}

}  // namespace emb::fuzz
