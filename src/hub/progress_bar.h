#pragma once
// A one-line download progress bar on stderr, drawn only when stderr is a
// terminal (logs and pipes get nothing), redrawn at most ten times a second.
#include <chrono>
#include <cstdint>
#include <string>

namespace emb::hub {

class DownloadProgressBar {
 public:
  DownloadProgressBar(std::string label, bool wanted);
  ~DownloadProgressBar();
  void update(std::uint64_t done, std::uint64_t total);
  void finish();

 private:
  void draw(std::uint64_t done, std::uint64_t total);
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::uint64_t last_done_ = 0, last_total_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

/// 1536 → "1.5 kB" (decimal units, as huggingface_hub's tqdm bars).
std::string human_bytes(std::uint64_t n);

}  // namespace emb::hub
