#pragma once
// The goldens of tests/oracles/preprocess_oracle.py, loaded once per test
// binary: the input images by name, the manifest, and the raw result files.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embetter/image.h"
#include "support/test_support.h"

namespace emb::test {

inline std::filesystem::path preprocess_oracle() { return oracle_dir() / "preprocess"; }

struct PreprocessGoldens {
  nlohmann::json manifest;
  std::map<std::string, Image> images;
  std::vector<char> resized, clip, timm;

  static std::vector<char> slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }

  static const PreprocessGoldens& get() {
    static const PreprocessGoldens loaded = [] {
      PreprocessGoldens g;
      const auto dir = preprocess_oracle();
      g.manifest = nlohmann::json::parse(std::ifstream(dir / "manifest.json"));
      const auto inputs = slurp(dir / "inputs.bin");
      for (const auto& in : g.manifest["inputs"]) {
        Image img;
        img.height = in["height"];
        img.width = in["width"];
        img.channels = in["channels"];
        const auto* p = reinterpret_cast<const std::uint8_t*>(inputs.data()) + in["offset"].get<std::size_t>();
        img.pixels.assign(p, p + img.height * img.width * static_cast<std::size_t>(img.channels));
        g.images.emplace(in["name"].get<std::string>(), std::move(img));
      }
      g.resized = slurp(dir / "resize.bin");
      g.clip = slurp(dir / "clip.bin");
      if (std::filesystem::exists(dir / "timm.bin")) g.timm = slurp(dir / "timm.bin");
      return g;
    }();
    return loaded;
  }
};

}  // namespace emb::test
