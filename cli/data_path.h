#pragma once
// Where `embetter demo` finds its data when --data is not given.
#include <filesystem>
#include <string>

namespace emb::cli {

/// The demo's default data file, relative to the shared folder.
inline constexpr const char* kDemoDataName = "data/imdb-5000.jsonl";

/// Resolves --data. An explicit value must exist. The default is looked up, in
/// order: $EMBETTER_SHARED/data/imdb-5000.jsonl (an explicit setting wins over
/// guesses), ../shared/data/imdb-5000.jsonl from the current folder, then
/// ../shared next to the repository that holds the executable
/// (<repo>/build/cli/embetter → <repo>/../shared). InvalidArgument listing the
/// places tried when none exists.
std::filesystem::path find_demo_data(const std::string& data_option, bool given);

}  // namespace emb::cli
