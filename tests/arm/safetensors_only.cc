// The AArch64 kernel suite loads its fixtures from model.safetensors only:
// Debian has no AArch64 libzip for the cross build, so src/io/torch_checkpoint.cc
// (pytorch_model.bin through libzip) is not part of it, and this stands in
// for its open_weights_file. The x86-64 suites test the checkpoint reader.
#include "embetter/error.h"
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"

namespace emb::io {

SafetensorsFile open_weights_file(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".bin" || ext == ".pt" || ext == ".pth")
    throw NotSupportedError(path.string() + ": the AArch64 kernel test build reads model.safetensors only");
  return SafetensorsFile::open(path);
}

}  // namespace emb::io
