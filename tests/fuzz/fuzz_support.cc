#include "fuzz_support.h"

#include <unistd.h>

#include <fstream>

namespace emb::fuzz {
namespace fs = std::filesystem;

const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("embetter-fuzz-" + std::to_string(::getpid()));
    std::error_code stale;  // a crashed run with the same pid may have left one
    fs::remove_all(d, stale);
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

fs::path shared_dir() {
  if (const char* env = std::getenv("EMB_SHARED_DIR"); env && *env) return env;
  return EMB_FUZZ_SHARED_DIR;
}

}  // namespace emb::fuzz
