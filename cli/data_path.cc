#include "data_path.h"

#include <cstdlib>
#include <vector>

#include "embetter/error.h"

namespace emb::cli {
namespace fs = std::filesystem;

std::filesystem::path find_demo_data(const std::string& data_option, bool given) {
  std::error_code ec;
  if (given) {
    EMB_CHECK(fs::is_regular_file(data_option, ec), "--data ", data_option, ": no such file");
    return data_option;
  }
  std::vector<fs::path> candidates;
  if (const char* shared = std::getenv("EMBETTER_SHARED"); shared != nullptr && *shared != '\0') {
    candidates.push_back(fs::path(shared) / kDemoDataName);
  }
  candidates.push_back(fs::path("..") / "shared" / kDemoDataName);
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back((exe.parent_path() / ".." / ".." / ".." / "shared" / kDemoDataName).lexically_normal());
  std::string tried;
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) return candidate;
    tried += "\n  " + candidate.string();
  }
  throw InvalidArgument("--data: the demo data was not found; tried:" + tried +
                        "\nPass --data FILE.jsonl or set EMBETTER_SHARED to the shared folder.");
}

}  // namespace emb::cli
