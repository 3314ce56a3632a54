#include "console.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <iostream>

namespace emb::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  // A second Ctrl-C gets the default behaviour: stop now.
  if (g_interrupted.exchange(true)) std::_Exit(kExitInterrupted);
}

}  // namespace

void install_interrupt_handler() { std::signal(SIGINT, on_sigint); }
bool interrupt_requested() { return g_interrupted.load(); }

Console::Console(const GlobalOptions& global)
    : quiet_(global.quiet), bars_(!global.quiet && ::isatty(STDERR_FILENO) == 1) {}

void Console::step(const std::string& message) const {
  if (!quiet_) std::cerr << "embetter: " << message << std::endl;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ProgressBar::ProgressBar(const Console& console, std::string what)
    : enabled_(console.bars()), what_(std::move(what)), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
  enabled_ = false;
}

ProgressFn ProgressBar::callback() {
  return [this](std::size_t done, std::size_t total) {
    if (enabled_) draw(done, total);
    return !interrupt_requested();
  };
}

void ProgressBar::draw(std::size_t done, std::size_t total) {
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most every 50 ms, and always at the end (when the end is known).
  if (drawn_ && (total == 0 || done < total) && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  drawn_ = true;
  if (total == 0) {  // an input of unknown length (a pipe): a count, no bar
    std::fprintf(stderr, "\r%s %zu %.1fs ", what_.c_str(), done, seconds_since(start_));
    std::fflush(stderr);
    return;
  }
  constexpr int kWidth = 30;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %3d%% %zu/%zu %.1fs ", what_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), done, total, seconds_since(start_));
  std::fflush(stderr);
}

}  // namespace emb::cli
