#pragma once
/// @file progress.h
/// Progress reporting and cancellation for long operations (fit, encode).
/// A callback receives (done, total) and returns false to ask the operation to
/// stop; the operation then throws emb::Interrupted. The CLI draws a progress
/// bar with it; the Python layer checks for Ctrl-C with it.
#include <cstddef>
#include <functional>

#include "embetter/error.h"

namespace emb {

using ProgressFn = std::function<bool(std::size_t done, std::size_t total)>;

/// Calls `fn` if set; throws Interrupted (naming `what`) when it returns false.
inline void report_progress(const ProgressFn& fn, std::size_t done, std::size_t total, const char* what) {
  if (fn && !fn(done, total)) throw Interrupted(detail::concat(what, ": interrupted at ", done, "/", total));
}

}  // namespace emb
