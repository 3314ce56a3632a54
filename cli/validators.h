#pragma once
// Option checks with short messages: CLI11's PositiveNumber and
// NonNegativeNumber print the largest double in full (309 digits) when a
// value is out of range.
#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <string>

#include "io/json_input.h"

namespace emb::cli {

/// A finite number > 0 (learning rates).
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        double v = 0;
        const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), v);
        if (ec != std::errc() || end != in.data() + in.size() || !std::isfinite(v) || v <= 0)
          return "must be a positive number, got '" + io::text_excerpt(in, 40) + "'";
        return {};
      },
      "POSITIVE");
}

/// An integer ≥ 0 (seeds).
inline CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        long long v = 0;
        const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), v);
        if (ec != std::errc() || end != in.data() + in.size() || v < 0)
          return "must be an integer >= 0, got '" + io::text_excerpt(in, 40) + "'";
        return {};
      },
      "UINT");
}

}  // namespace emb::cli
