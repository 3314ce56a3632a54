#include "hub/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace emb::hub {

std::string human_bytes(std::uint64_t n) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

DownloadProgressBar::DownloadProgressBar(std::string label, bool wanted)
    : label_(std::move(label)), enabled_(wanted && ::isatty(STDERR_FILENO)) {}

DownloadProgressBar::~DownloadProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

void DownloadProgressBar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  last_done_ = done;
  last_total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, total);
}

void DownloadProgressBar::finish() {
  if (!enabled_) return;
  draw(last_total_ ? last_total_ : last_done_, last_total_);
  std::fputc('\n', stderr);
  drawn_ = false;
}

void DownloadProgressBar::draw(std::uint64_t done, std::uint64_t total) {
  constexpr int kWidth = 30;
  std::string bar;
  if (total > 0) {
    const int filled = static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(total));
    bar = std::string(filled, '#') + std::string(kWidth - filled, ' ');
    std::fprintf(stderr, "\r%s: %3d%% |%s| %s/%s", label_.c_str(), static_cast<int>(100.0 * done / total),
                 bar.c_str(), human_bytes(done).c_str(), human_bytes(total).c_str());
  } else {
    std::fprintf(stderr, "\r%s: %s", label_.c_str(), human_bytes(done).c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace emb::hub
