#pragma once
/// @file error.h
/// Typed exceptions for callers (and the Python layer) plus EMB_CHECK, which
/// throws with the failed condition and a message built from its arguments.
///
/// Tier 1, caller errors: EMB_CHECK / EMB_CHECK_AS throw one of the types below.
/// Tier 2, internal invariants: EMB_ASSERT, compiled out with NDEBUG.
#include <cassert>
#include <sstream>
#include <stdexcept>
#include <string>

namespace emb {

/// Base of every error embetter throws on purpose.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// A caller passed something of the wrong shape, type or value (Python: ValueError).
struct InvalidArgument : Error {
  using Error::Error;
};
/// A file could not be read or does not hold what it should (Python: ValueError/OSError).
struct ModelLoadError : Error {
  using Error::Error;
};
/// A component was used before `fit` (Python: sklearn's NotFittedError).
struct NotFittedError : Error {
  using Error::Error;
};
/// A feature that is recognised but not supported (named in the message).
struct NotSupportedError : Error {
  using Error::Error;
};
/// A long operation was interrupted on request (Ctrl-C in Python, a signal in the CLI).
struct Interrupted : Error {
  using Error::Error;
};

namespace detail {
/// Concatenates any streamable values into one string.
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace emb

/// Throws emb::InvalidArgument with the message unless `cond` holds.
/// Usage: EMB_CHECK(x.rows() == y.size(), "fit: X has ", x.rows(), " rows but y has ", y.size());
#define EMB_CHECK(cond, ...) EMB_CHECK_AS(::emb::InvalidArgument, cond, __VA_ARGS__)
/// Same as EMB_CHECK with an explicit exception type.
#define EMB_CHECK_AS(type, cond, ...)                          \
  do {                                                         \
    if (!(cond)) throw type(::emb::detail::concat(__VA_ARGS__)); \
  } while (0)
/// Internal invariant; a failure is a bug in embetter, not in the caller's input.
#define EMB_ASSERT(cond) assert(cond)
