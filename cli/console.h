#pragma once
// What every subcommand shares: the global options, messages on stderr,
// progress bars (drawn only when stderr is a terminal and --quiet is off) and
// Ctrl-C, which asks the running step to stop at its next progress report.
#include <chrono>
#include <string>

#include "embetter/progress.h"

namespace emb::cli {

struct GlobalOptions {
  bool quiet = false;
  int threads = 0;  // 0 = all cores
};

/// Exit codes: 0 success, 1 failure while running (e.g. a disk error),
/// 2 bad input or usage, 130 interrupted by Ctrl-C.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;

/// Installs a SIGINT handler that sets a flag instead of killing the process,
/// so that outputs are never left half-written.
void install_interrupt_handler();
bool interrupt_requested();

class Console {
 public:
  explicit Console(const GlobalOptions& global);
  /// A status line on stderr ("embetter: ..."), unless --quiet.
  void step(const std::string& message) const;
  /// Whether progress bars are drawn (stderr is a terminal and not --quiet).
  bool bars() const { return bars_; }
  bool quiet() const { return quiet_; }

 private:
  bool quiet_;
  bool bars_;
};

/// A progress bar on stderr for one long step; its callback also carries Ctrl-C.
class ProgressBar {
 public:
  ProgressBar(const Console& console, std::string what);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// The callback to hand to a long operation; valid while the bar lives.
  /// A total of 0 means unknown: the count is drawn without a bar.
  ProgressFn callback();
  /// Ends the bar's line; later reports only check for Ctrl-C.
  void finish();

 private:
  void draw(std::size_t done, std::size_t total);

  bool enabled_;
  std::string what_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace emb::cli
